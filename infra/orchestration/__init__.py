"""Orchestration of the micro-stacks: engine interface, runner and the Automation API adapter.

`runner` holds the logic (selection, ordering, preflight, guards, fail-fast, summaries) and talks
only to the `engine.Engine` interface; `automation` implements that interface with Pulumi's
Automation API; `commands` wires settings, backend, credentials and the CLI together for the
invoke tasks. None of these modules imports invoke. `pulumi_cli` (with `go_build`, `shims`,
`language_host`, `program_exec`) provides the Pulumi CLI the adapter runs.
"""
