"""The bundled demo shop: a realistic app with seeded faults for tests and `make demo`."""
