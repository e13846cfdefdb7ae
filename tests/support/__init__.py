"""Helpers shared by the tests (PDF builders, external tools)."""
