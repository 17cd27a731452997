"""toolchain tests."""
