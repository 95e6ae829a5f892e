"""Demo data: two clinics with staff, a box each and a drug master, for the demo and the tests."""
