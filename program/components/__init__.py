"""The building blocks of the three layers: one ComponentResource per file.

Each component takes an args dataclass with secure defaults (validated when built), names its
children from its own name with `parent=self`, and inherits the project's explicit AWS provider
from the `providers=` option its caller passes. `app_buckets` is the one builder that wires
several components without a parent of its own, so the URNs of deployed buckets stay as they are.
"""
