"""Running the Pulumi CLI: one subprocess per call, its output streamed line by line.

The engine drives the CLI the way the Automation API's `PulumiCommand.run` does (always
`--non-interactive`, stdout and stderr streamed to callbacks, the CLI's bin directory first on
PATH so it finds the plugins installed next to it, a failure raised with both streams), without
importing the Pulumi SDK into the orchestrator's process: that import alone costs about half a
second of CPU, and only the programs the engine runs need the SDK.

`PulumiCli.run` has `PulumiCommand.run`'s signature, so either can serve the engine; the tests
use a scripted double of the same shape. Failures are classified from the CLI's own messages
(the same texts the Automation API matches) by `CliError`'s properties.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# Receives one line of the CLI's output (without the line break).
LineSink = Callable[[str], object]

NON_INTERACTIVE = "--non-interactive"
STACK_NOT_FOUND = re.compile(r"no stack named.*found")
_LOCKED = ("the stack is currently locked by", "[409] Conflict: Another update is currently")


@dataclass(frozen=True)
class CliResult:
    """What one CLI call printed and how it ended (a negative code: killed by that signal)."""

    stdout: str
    stderr: str
    code: int


class CliError(Exception):
    """A CLI call that did not exit 0."""

    def __init__(self, result: CliResult) -> None:
        super().__init__(f"code: {result.code}\n stdout: {result.stdout}\n stderr: {result.stderr}")
        self.result = result

    @property
    def stack_not_found(self) -> bool:
        """The stack the call named does not exist."""
        return bool(STACK_NOT_FOUND.search(self.result.stderr))

    @property
    def locked(self) -> bool:
        """Another update holds the stack's lock (or an interrupted one left it behind)."""
        return any(text in self.result.stderr for text in _LOCKED)

    @property
    def signal_name(self) -> str | None:
        """The signal that killed the CLI (SIGKILL, ...), None when it exited by itself."""
        if self.result.code >= 0:
            return None
        try:
            return signal.Signals(-self.result.code).name
        except ValueError:
            return f"signal {-self.result.code}"


class PulumiCli:
    """The `pulumi` binary at `binary`, run with the caller's environment plus `additional_env`."""

    def __init__(self, binary: Path, version: str | None = None) -> None:
        self.command = str(binary)
        # The version the installer verified (informational; the engine does not re-check it).
        self.version = version

    def run(
        self,
        args: Sequence[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: LineSink | None = None,
        on_error: LineSink | None = None,
    ) -> CliResult:
        """Run `pulumi <args>` in `cwd`; the result, or CliError when it does not exit 0."""
        arguments = list(args)
        if NON_INTERACTIVE not in arguments:
            # In front, so a `--` separator in `args` cannot swallow it.
            arguments.insert(0, NON_INTERACTIVE)
        env = {**os.environ, **additional_env}
        bin_dir = os.path.dirname(self.command)
        if os.path.isabs(self.command):
            env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
        stdout: list[str] = []
        stderr: list[str] = []
        with subprocess.Popen(
            [self.command, *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            encoding="utf-8",
            errors="replace",
        ) as process:
            assert process.stdout is not None
            assert process.stderr is not None
            readers = [
                threading.Thread(target=_pump, args=(process.stdout, on_output, stdout)),
                threading.Thread(target=_pump, args=(process.stderr, on_error, stderr)),
            ]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            code = process.wait()
        result = CliResult(stdout="\n".join(stdout), stderr="\n".join(stderr), code=code)
        if code != 0:
            raise CliError(result)
        return result


def _pump(stream: IO[str], sink: LineSink | None, lines: list[str]) -> None:
    for line in iter(stream.readline, ""):
        text = line.rstrip()
        if sink is not None:
            sink(text)
        lines.append(text)
    stream.close()
