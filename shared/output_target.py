"""Where a task writes a report: `--json PATH|-` and `--output PATH`, the same rule everywhere.

A path, or `-` for standard output (as `pulumi ... --json` users and CDK users expect). The
target is checked before any work starts, so a bad one costs one line and writes nothing:
a directory, a path whose folder does not exist, or a file (or folder) that cannot be written
(a read-only file too, even for root) is refused with `OutputTargetError`, whose text names what
and where, and says why. A write the system refuses only when it happens (a /proc or /sys file,
a full disk) is the same one-line error, from `write_file`.

Standard library only: every task's entry point (the offline plan, `affected`, `outputs`) and
the repository's tooling may import it.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

STDOUT = "-"


class OutputTargetError(ValueError):
    """A target the report cannot be written to; the text is the one line to show."""


@dataclass(frozen=True)
class OutputTarget:
    """A checked target: `path` None means standard output."""

    path: Path | None
    # What the report is, for a refusal: `cannot write the <what> to <path>: <why>`.
    what: str = field(default="JSON", compare=False)

    @classmethod
    def parse(cls, text: str, what: str = "JSON") -> OutputTarget:
        """The target `text` names (`-`: standard output); OutputTargetError when unusable.

        `what` names the report in the refusal: `cannot write the <what> to <text>: <why>`.
        """
        if text == STDOUT:
            return cls(None, what)
        path = Path(text)
        refusal = _refusal(path) if text else "give a file path, or - for standard output"
        if refusal:
            raise OutputTargetError(f"cannot write the {what} to {text!s}: {refusal}")
        return cls(path, what)

    @property
    def is_stdout(self) -> bool:
        return self.path is None

    def describe(self) -> str:
        """Where it goes, for a note such as `JSON plan written to <this>`."""
        return "standard output" if self.path is None else str(self.path)

    def write(self, text: str, out: TextIO | None = None) -> None:
        """Write `text` (ended with a newline) to the file, or to `out` (stdout) for `-`."""
        ended = text if text.endswith("\n") else text + "\n"
        if self.path is None:
            stream = out or sys.stdout
            stream.write(ended)
            stream.flush()
        else:
            write_file(self.path, ended, self.what)


def write_file(path: Path, text: str, what: str = "JSON") -> None:
    """Write `text` to `path`; OutputTargetError (one line) when the system refuses the write
    only now, as a /proc or /sys file or a full disk do."""
    try:
        path.write_text(text, "utf-8")
    except OSError as error:
        raise OutputTargetError(
            f"cannot write the {what} to {path}: {error.strerror or error}"
        ) from None


def parse_optional(text: str | None, what: str = "JSON") -> OutputTarget | None:
    """`OutputTarget.parse`, or None when the flag was not given."""
    return None if text is None else OutputTarget.parse(text, what)


_ANY_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _refusal(path: Path) -> str | None:
    if path.is_dir():
        return "it is a directory (give a file path, or - for standard output)"
    parent = path.parent
    if not parent.is_dir():
        return f"{parent} does not exist"
    if path.exists():
        # Root may write any file: a file nobody may write (such as /proc/version) is refused
        # by its mode bits.
        if not os.access(path, os.W_OK) or not path.stat().st_mode & _ANY_WRITE:
            return "the file is not writable"
    elif not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    return None


__all__ = ["STDOUT", "OutputTarget", "OutputTargetError", "parse_optional", "write_file"]
