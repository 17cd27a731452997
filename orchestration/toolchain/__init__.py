"""The Pulumi CLI toolchain: install the CLI matching the SDK, and what it launches.

`pulumi_cli` finds or installs the CLI (a matching binary on PATH, the release download, or a
build from the Go modules in `go_build`); `shims` writes the plugin executables the engine
looks up; `language_host` (with `program_exec`) is the Python language host used where its Go
module cannot be had.
"""
