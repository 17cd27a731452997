"""CLI failures turned into the engine interface's errors, with hints; its error lines shown once.

The messages name the stack, say what happened and what to do: the engine's own error lines
(a few, once each), a hint for the failures newcomers meet first, the protected URNs of a
refused destroy, the commands that release a stale lock, and what to do after the CLI was
killed mid-operation.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from orchestration.engine.interface import (
    EngineError,
    EngineFailure,
    EngineKilled,
    EngineUnavailable,
    ProtectedResources,
    StackLocked,
    StackNotFound,
)
from orchestration.engine.pulumi_process import STACK_NOT_FOUND, CliError, LineSink
from orchestration.state.backend import STATE_DIR_NAME
from orchestration.state.passphrase import PASSPHRASE_FILE_NAME, PASSPHRASE_FILE_VAR, PASSPHRASE_VAR

_MAX_ERROR_LINES = 6

_PROTECTED = re.compile(r"""resource ["'`]?(urn:pulumi:[^"'`\s]+)["'`]? cannot be deleted""")
_UNPROTECT = re.compile(r"""pulumi state unprotect ["'`]?(urn:pulumi:[^"'`\s]+)""")
# The DIY backends' lock message: "...: created by <user>@<host> (pid <n>) at <time>".
_LOCK_HOLDER = re.compile(r"created by (\S+) \(pid (\d+)\) at (\S+)")
_ERROR_LINE = re.compile(r"^\s*error:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_NESTED_PREFIX = re.compile(r"^(?:error:\s*)+", re.IGNORECASE)
_HINTS = (
    (
        re.compile(r"incorrect passphrase|passphrase must be set", re.IGNORECASE),
        "the stacks' secrets need the passphrase they were created with: check "
        f"{PASSPHRASE_VAR} / {PASSPHRASE_FILE_VAR} (local development stacks use "
        f"{STATE_DIR_NAME}/{PASSPHRASE_FILE_NAME} when neither is set)",
    ),
    (
        re.compile(r"no valid credential sources|NoCredentialProviders", re.IGNORECASE),
        "AWS credentials did not resolve for the provider: set AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or use `invoke plan` for an offline look)",
    ),
    (
        re.compile(r"failed to load checkpoint|unexpected end of JSON input"),
        "the stack's checkpoint is damaged: a deploy or drift of the environment names the "
        "file and its intact backup (on a state bucket, `invoke state history` lists the "
        "stored versions)",
    ),
    (
        re.compile(r"no resource plugin 'pulumi-resource-aws'|could not find plugin", re.I),
        "a provider plugin is missing: install it with `pulumi plugin install resource aws "
        "<version>` (the version pinned in pyproject.toml)",
    ),
)


def map_error(error: Exception, *, stack: str, manual: Callable[[str], str]) -> EngineError:
    """The engine interface's exception for a failed CLI call (or a failure to start one)."""
    if isinstance(error, CliError):
        return _cli_error(error, stack, manual)
    if isinstance(error, FileNotFoundError | PermissionError):
        return EngineUnavailable(f"the Pulumi CLI cannot run: {error}; run `invoke setup`")
    return EngineFailure(f"{type(error).__name__}: {error}")


def _cli_error(error: CliError, stack: str, manual: Callable[[str], str]) -> EngineError:
    if error.stack_not_found:
        return StackNotFound(f"stack {stack} does not exist")
    if error.locked:
        holders = "; ".join(
            f"{who}, pid {pid}, since {since}"
            for who, pid, since in _LOCK_HOLDER.findall(error.result.stderr)
        )
        held = f" (lock held by {holders})" if holders else ""
        return StackLocked(
            f"stack {stack} is locked: another update is running, or one was interrupted{held}. "
            f"If none is running, release the lock with {manual('cancel --yes')}, then repair "
            "its state as the recovery steps after the summary say"
        )
    text = f"{error.result.stdout}\n{error.result.stderr}"
    killed = error.signal_name
    if killed is not None:
        return EngineKilled(
            f"the Pulumi CLI was killed ({killed}) before it finished with stack {stack}: the "
            "stack may still be locked and list pending operations"
        )
    urns = protected_urns(text)
    if urns:
        return ProtectedResources(
            f"stack {stack}: protected resources cannot be deleted: {', '.join(urns)}", urns
        )
    return EngineFailure(failure_summary(text))


def protected_urns(text: str) -> tuple[str, ...]:
    """URNs the engine refused to delete because they are protected, in order, once each."""
    found = _PROTECTED.findall(text) + _UNPROTECT.findall(text)
    return tuple(dict.fromkeys(found))


def error_text(line: str) -> str | None:
    """The message of an `error:` line of the CLI (without nested `error:` prefixes), or None."""
    match = _ERROR_LINE.match(line)
    if match is None:
        return None
    return _NESTED_PREFIX.sub("", match.group(1)).strip()


def failure_summary(text: str) -> str:
    """The engine's error lines (at most a few, once each) and a hint when one is known.

    Once each: the CLI repeats an error (in a resource's output, in the diagnostics at the end,
    wrapped by the error that stopped the update); a message another one contains is dropped.
    """
    found = [error_text(line) for line in text.splitlines()]
    unique = list(dict.fromkeys(error for error in found if error))
    errors = [
        error for error in unique if not any(error != other and error in other for other in unique)
    ]
    if not errors:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        errors = lines[-3:] or ["the Pulumi CLI failed without a message"]
    summary = "; ".join(errors[:_MAX_ERROR_LINES])
    hints = [hint for pattern, hint in _HINTS if pattern.search(text)]
    return f"{summary} (hint: {'; '.join(hints)})" if hints else summary


class QuietSink:
    """Passes one CLI call's lines on, each `error:` line once (the CLI repeats its errors in
    the diagnostics at the end), and drops the CLI's complaint that a stack does not exist when
    `stack_may_be_missing` (the engine creates it and runs the operation again)."""

    def __init__(self, sink: LineSink, *, stack_may_be_missing: bool = False) -> None:
        self._sink = sink
        self._stack_may_be_missing = stack_may_be_missing
        self._shown: set[str] = set()
        # stdout and stderr are read by two threads.
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        if self._stack_may_be_missing and STACK_NOT_FOUND.search(line):
            return
        error = error_text(line)
        if error is not None:
            with self._lock:
                if error in self._shown:
                    return
                self._shown.add(error)
        self._sink(line)
