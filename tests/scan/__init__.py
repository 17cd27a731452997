"""scan tests."""
