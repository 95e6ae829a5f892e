"""Start and stop the real services clinicbox runs beside itself (demo and tests)."""
