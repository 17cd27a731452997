"""webapp tests."""
