"""The building blocks of the three layers: one ComponentResource per file.

Each component takes an args dataclass with secure defaults (validated when built), names its
children from its own name with `parent=self`, and inherits the project's explicit AWS provider
from the `providers=` option its caller passes. What a component needs of the provider itself
(the account, partition or region a policy names) it looks up with
`pulumi.InvokeOutputOptions(parent=self)`, through that same provider. `app_buckets` is the one
builder that wires several components without a parent of its own, so the URNs of deployed
buckets stay as they are.
"""
