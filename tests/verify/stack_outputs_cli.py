"""StackOutputsCli: a test double of `engine.pulumi_process.PulumiCli` for a backend's outputs.

It holds outputs under fully qualified stack names and answers only what reading them takes
(`pulumi stack output --json [--show-secrets] --stack <name>`). A name it does not hold fails
the way the CLI fails (`no stack named ...`), so only a correctly named stack is found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

from orchestration.engine.pulumi_process import CliError, CliResult


class StackOutputsCli:
    """Answers `stack output` calls from `stacks` (fully qualified name -> outputs)."""

    command = "pulumi"
    version = metadata.version("pulumi")

    def __init__(self, stacks: Mapping[str, Mapping[str, Any]]) -> None:
        self.stacks = stacks
        self.asked: list[str] = []
        self.backends: set[str] = set()

    def run(
        self,
        args: Sequence[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> CliResult:
        args = list(args)
        if args[:3] != ["stack", "output", "--json"]:
            raise AssertionError(f"verify must only read outputs, not run `pulumi {args}`")
        name = args[args.index("--stack") + 1]
        self.asked.append(name)
        self.backends.add(additional_env.get("PULUMI_BACKEND_URL", ""))
        if name not in self.stacks:
            failed = CliResult(stdout="", stderr=f"error: no stack named '{name}' found", code=255)
            raise CliError(failed)
        return CliResult(stdout=json.dumps(self.stacks[name]), stderr="", code=0)
