"""Global reference data: loaders for ICD-10-CM, NHI drug codes and fee codes, and
effective-date look-ups (``drug_price``, ``fee_points``)."""
