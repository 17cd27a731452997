"""TEST-ONLY stand-in: what AWS refuses and the emulator accepts, one module per area."""
