"""Code that drives Pulumi from outside: what the invoke tasks run.

- `commands` wires settings, backend, credentials and the CLI together for the tasks;
- `runner` holds the logic (selection, ordering, preflight, guards, fail-fast, summaries) and
  talks only to the `engine.Engine` interface; `automation` implements it over the Pulumi CLI;
- `toolchain/` provides the Pulumi CLI the adapter runs;
- `plan/` evaluates the programs offline under Pulumi's mock runtime;
- `verify/` checks a deployed environment, read-only, with boto3.

It may import `shared` and the pure parts of `program` (the policy rules), never `pulumi_aws`
itself (the architecture contract in pyproject.toml, checked by `invoke test`). None of these
modules imports invoke.
"""
