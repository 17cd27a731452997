"""state tests."""
