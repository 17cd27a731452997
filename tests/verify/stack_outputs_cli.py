"""StackOutputsCli: a test double of `pulumi.automation.PulumiCommand` for a backend's outputs.

It holds outputs under fully qualified stack names and answers only what reading them takes
(`pulumi stack output --json [--show-secrets] --stack <name>`). A name it does not hold fails
the way the CLI fails (`no stack named ...`), so only a correctly named stack is found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

from pulumi.automation import CommandResult
from pulumi.automation.errors import create_command_error
from semver import VersionInfo


class StackOutputsCli:
    """Answers `stack output` calls from `stacks` (fully qualified name -> outputs)."""

    command = "pulumi"
    version = VersionInfo.parse(metadata.version("pulumi"))

    def __init__(self, stacks: Mapping[str, Mapping[str, Any]]) -> None:
        self.stacks = stacks
        self.asked: list[str] = []
        self.backends: set[str] = set()

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> CommandResult:
        if args[:3] != ["stack", "output", "--json"]:
            raise AssertionError(f"verify must only read outputs, not run `pulumi {args}`")
        name = args[args.index("--stack") + 1]
        self.asked.append(name)
        self.backends.add(additional_env.get("PULUMI_BACKEND_URL", ""))
        if name not in self.stacks:
            failed = CommandResult(
                stdout="", stderr=f"error: no stack named '{name}' found", code=255
            )
            raise create_command_error(failed)
        return CommandResult(stdout=json.dumps(self.stacks[name]), stderr="", code=0)
