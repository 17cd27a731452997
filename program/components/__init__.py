"""The building blocks of the three layers: one ComponentResource per file.

Each component takes an args dataclass with secure defaults (validated when built), names its
children from its own name with `parent=self`, and inherits the project's explicit AWS provider
from the `providers=` option its caller passes.
"""
