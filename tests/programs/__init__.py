"""programs tests."""
