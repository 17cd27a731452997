"""policy tests."""
