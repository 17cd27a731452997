"""verify tests."""
