"""plan tests."""
