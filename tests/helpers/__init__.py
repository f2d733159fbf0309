"""Helpers shared by the tests (imported by tests and conftest files alike; no fixtures here)."""
