"""The ``clinicbox`` command and the local runtime helpers (broker, pcscd, PostgreSQL, PKI)."""

__version__ = "0.1.0"
