"""Repository tooling: what builds, checks and measures this repository; not shipped as product."""
