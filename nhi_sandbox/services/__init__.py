"""One module per NHI service the sandbox stands in for; each exports ``ROUTES``."""
