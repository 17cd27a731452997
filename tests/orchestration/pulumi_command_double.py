"""ScriptedPulumiCommand: a test double of `orchestration.engine.pulumi_process.PulumiCli`.

The engine runs every CLI call through `run(args, cwd, env, on_output, on_error)`. This double
records those calls and answers from a script: lines for the stdout and stderr callbacks, events
for the `--event-log` file, and for a failed call the same `CliError` the real runner raises, so
the engine's arguments, result parsing and error mapping are exercised without a Pulumi CLI.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestration.engine.pulumi_process import CliError, CliResult


@dataclass(frozen=True)
class Call:
    args: tuple[str, ...]
    cwd: str
    env: Mapping[str, str]

    def has(self, *sequence: str) -> bool:
        """Whether `sequence` appears contiguously in the arguments."""
        n = len(sequence)
        return any(self.args[i : i + n] == sequence for i in range(len(self.args) - n + 1))


@dataclass
class Answer:
    stdout: str = ""
    stderr: str = ""
    code: int = 0
    lines: Sequence[str] = ()
    # Lines for the stderr callback (the real CLI streams both).
    error_lines: Sequence[str] = ()
    events: Sequence[Mapping[str, Any]] = ()
    delay: float = 0.0
    # How many calls this answer serves before the next matching rule takes over (None: all).
    times: int | None = None
    calls: list[Call] = field(default_factory=list)


class ScriptedPulumiCommand:
    """Answers CLI calls by their leading arguments; an unscripted call fails the test."""

    def __init__(self, version: str = "3.260.0", command: str = "/opt/pulumi/bin/pulumi") -> None:
        self.command = command
        self.version = version
        self.calls: list[Call] = []
        self.active = 0
        self.max_active = 0
        self._script: list[tuple[tuple[str, ...], Answer]] = []
        self._lock = threading.Lock()

    def on(self, *prefix: str, **answer: Any) -> Answer:
        """Answer calls whose arguments start with `prefix` (the latest rule wins)."""
        rule = Answer(**answer)
        self._script.insert(0, (prefix, rule))
        return rule

    def calls_to(self, *prefix: str) -> list[Call]:
        return [call for call in self.calls if call.args[: len(prefix)] == prefix]

    def run(
        self,
        args: Sequence[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> CliResult:
        call = Call(tuple(args), cwd, dict(additional_env))
        with self._lock:
            self.calls.append(call)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            answer = self._answer(call)
            time.sleep(answer.delay)
            if answer.events:
                log = args[list(args).index("--event-log") + 1]
                with open(log, "a", encoding="utf-8") as handle:
                    for event in [*answer.events, {"cancelEvent": {}}]:
                        handle.write(json.dumps(event) + "\n")
            for line in answer.lines:
                if on_output:
                    on_output(line)
            for line in answer.error_lines:
                if on_error:
                    on_error(line)
            result = CliResult(stdout=answer.stdout, stderr=answer.stderr, code=answer.code)
            if answer.code:
                raise CliError(result)
            return result
        finally:
            with self._lock:
                self.active -= 1

    def _answer(self, call: Call) -> Answer:
        with self._lock:
            for prefix, answer in self._script:
                used_up = answer.times is not None and len(answer.calls) >= answer.times
                if call.args[: len(prefix)] == prefix and not used_up:
                    answer.calls.append(call)
                    return answer
        raise AssertionError(f"unscripted pulumi call: {call.args}")
