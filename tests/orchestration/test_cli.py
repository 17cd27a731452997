"""The CLI runner (a real subprocess: a stand-in `pulumi` script) and the event log reader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orchestration.engine.event_log import operation_result, read_events
from orchestration.engine.pulumi_process import CliError, PulumiCli

SCRIPT = """#!/bin/sh
# TEST ONLY: a stand-in `pulumi` that echoes what it was given and answers as told.
echo "args: $*"
echo "cwd: $(pwd)"
echo "knob: $KNOB"
echo "path: ${PATH%%:*}"
echo "a warning" >&2
if [ -n "$FAIL_WITH" ]; then echo "$FAIL_WITH" >&2; exit 255; fi
if [ -n "$KILL_SELF" ]; then kill -9 $$; fi
"""


@pytest.fixture
def cli(tmp_path: Path) -> PulumiCli:
    binary = tmp_path / "bin" / "pulumi"
    binary.parent.mkdir()
    binary.write_text(SCRIPT)
    binary.chmod(0o755)
    return PulumiCli(binary, "3.260.0")


def test_a_call_streams_its_lines_non_interactively_with_the_cli_dir_first_on_path(
    cli: PulumiCli, tmp_path: Path
) -> None:
    seen: list[str] = []
    errors: list[str] = []

    result = cli.run(["stack", "ls"], str(tmp_path), {"KNOB": "on"}, seen.append, errors.append)

    assert seen == [
        "args: --non-interactive stack ls",
        f"cwd: {tmp_path}",
        "knob: on",
        f"path: {tmp_path / 'bin'}",
    ]
    assert errors == ["a warning"]
    assert result.code == 0
    assert result.stdout.splitlines() == seen
    assert "KNOB" not in os.environ


@pytest.mark.parametrize(
    ("message", "not_found", "locked"),
    [
        ("error: no stack named 'organization/a/dev' found", True, False),
        ("error: the stack is currently locked by 1 lock(s).", False, True),
        ("error: [409] Conflict: Another update is currently in progress.", False, True),
        ("error: something else", False, False),
    ],
)
def test_a_failure_is_raised_with_what_it_was(
    cli: PulumiCli, tmp_path: Path, message: str, not_found: bool, locked: bool
) -> None:
    with pytest.raises(CliError) as caught:
        cli.run(["up"], str(tmp_path), {"FAIL_WITH": message})

    error = caught.value
    assert error.result.code == 255
    assert message in error.result.stderr
    assert error.stack_not_found is not_found
    assert error.locked is locked
    assert error.signal_name is None


def test_a_killed_cli_names_the_signal(cli: PulumiCli, tmp_path: Path) -> None:
    with pytest.raises(CliError) as caught:
        cli.run(["up"], str(tmp_path), {"KILL_SELF": "1"})

    assert caught.value.result.code == -9
    assert caught.value.signal_name == "SIGKILL"


def test_the_event_log_gives_changes_steps_and_the_last_outputs_of_the_program(
    tmp_path: Path,
) -> None:
    root = "urn:pulumi:dev::storage::pulumi:pulumi:Stack::storage-dev"
    bucket = "urn:pulumi:dev::storage::webapp:storage:EncryptedBucket$aws:s3/bucket:Bucket::data"
    events = [
        {"resourcePreEvent": {"metadata": {"op": "refresh", "urn": bucket, "type": "x"}}},
        {
            "resOutputsEvent": {
                "metadata": {
                    "op": "refresh",
                    "urn": root,
                    "type": "pulumi:pulumi:Stack",
                    "old": {"outputs": {"a": 1}},
                    "new": {"outputs": {"a": 1}},
                }
            }
        },
        {"resourcePreEvent": {"metadata": {"op": "delete", "urn": bucket, "type": "aws:s3/b"}}},
        {
            "resOutputsEvent": {
                "metadata": {
                    "op": "same",
                    "urn": root,
                    "type": "pulumi:pulumi:Stack",
                    "old": {"outputs": {"a": 1}},
                    "new": {},
                }
            }
        },
        {"summaryEvent": {"resourceChanges": {"delete": 1, "same": 1}}},
    ]
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(event) for event in events) + '\n{"cut sho')

    result = operation_result(read_events(log))

    assert dict(result.changes) == {"delete": 1, "same": 1}
    assert [(step.op, step.name, step.type) for step in result.steps] == [
        ("delete", "data", "aws:s3/b")
    ]
    assert dict(result.outputs) == {}
    assert result.previous_outputs == {"a": 1}
    assert result.needs_update


def test_no_event_log_means_no_result(tmp_path: Path) -> None:
    result = operation_result(read_events(tmp_path / "never-written.jsonl"))

    assert dict(result.changes) == {}
    assert result.previous_outputs is None
    assert not result.needs_update
