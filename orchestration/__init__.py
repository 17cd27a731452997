"""Code that drives Pulumi from outside: what the invoke tasks run.

- `commands` (stack tasks) and `state_commands` (bootstrap and state tasks) check in a fixed
  order (`preflight` among them), then hand the work on;
- `runner/` holds the logic (selection, ordering, guards, fail-fast, summaries) and talks only
  to the `engine.interface.Engine` interface;
- `engine/` implements that interface over the Pulumi CLI and installs the CLI;
- `state/` knows where the stacks' state and secrets live, and bootstraps, migrates and
  restores it;
- `plan/` evaluates the programs offline under Pulumi's mock runtime; `scan/` hands that plan
  to Checkov; `verify/` checks a deployed environment, read-only, with boto3; `affected/` finds
  the projects a change touches.

It may import `shared` and the pure parts of `program` (the policy rules), never `pulumi_aws`
itself, nor the repository's `tooling` (the architecture contract in pyproject.toml, checked by
`invoke test`). None of these modules imports invoke.
"""
