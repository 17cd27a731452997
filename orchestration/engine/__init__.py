"""The engine: the interface the runner drives, and its implementation over the Pulumi CLI."""
