"""Checkpoint versions in the state bucket: listing, restoring, and what restore refuses."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from orchestration import state_commands
from orchestration.engine.interface import OrchestrationError
from orchestration.state.declaration import S3Location
from orchestration.state.history import StateHistoryError, restore, show_history

BUCKET = "team-state"
KEY = "webapp/.pulumi/stacks/security/production.json"


def checkpoint(resources: int, project: str = "security", stack: str = "production") -> bytes:
    """A checkpoint as the DIY backends write it: the stack's name and its resources' URNs."""
    urns = [f"urn:pulumi:{stack}::{project}::aws:s3/bucket:Bucket::r{i}" for i in range(resources)]
    latest = {"resources": [{"urn": urn} for urn in urns]}
    name = f"organization/{project}/{stack}"
    return json.dumps({"version": 3, "checkpoint": {"stack": name, "latest": latest}}).encode()


@pytest.fixture
def bucket(aws: Any) -> S3Location:
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return S3Location(bucket=BUCKET, region="us-west-2", prefix="webapp")


def put(aws: Any, body: bytes, key: str = KEY) -> str:
    return str(aws("s3").put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"])


def versions(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith("  ")]


def test_history_lists_versions_newest_first_and_flags_damage(aws: Any, bucket: S3Location) -> None:
    first = put(aws, checkpoint(2))
    second = put(aws, checkpoint(3))
    damaged = put(aws, b'{"version": 3,')
    out = io.StringIO()

    assert show_history(aws("s3"), bucket, "security", "production", out=out) == 0

    listed = versions(out.getvalue())
    assert [row[0] for row in listed] == [damaged, second, first]
    assert "DAMAGED:" in listed[0]
    assert "(current)" in listed[0]
    assert "3 resources" in " ".join(listed[1])
    assert "invoke state restore --env production --project security --version <id>" in (
        out.getvalue()
    )


def test_restore_makes_an_old_version_current_and_keeps_the_rest(
    aws: Any, bucket: S3Location
) -> None:
    good = put(aws, checkpoint(3))
    put(aws, b"garbage")
    out = io.StringIO()

    assert restore(aws("s3"), bucket, "security", "production", good, out=out) == 0

    s3 = aws("s3")
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == checkpoint(3)
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix=KEY)["Versions"]) == 3
    assert f"Restored organization/security/production to version {good}" in out.getvalue()
    assert "invoke refresh --env production --project security" in out.getvalue()


def test_restore_refuses_what_would_not_help(aws: Any, bucket: S3Location) -> None:
    damaged = put(aws, b"garbage")
    current = put(aws, checkpoint(1))
    s3 = aws("s3")

    with pytest.raises(StateHistoryError, match=r"has no checkpoint version 'nope' \(versions: "):
        restore(s3, bucket, "security", "production", "nope", out=io.StringIO())
    with pytest.raises(StateHistoryError, match=r"is not a usable checkpoint .*not JSON"):
        restore(s3, bucket, "security", "production", damaged, out=io.StringIO())
    out = io.StringIO()
    assert restore(s3, bucket, "security", "production", current, out=out) == 0
    assert "already is the current checkpoint" in out.getvalue()
    put(aws, b"garbage again")
    put(aws, b"{}", key="webapp/.pulumi/locks/organization/security/production/lock.json")
    with pytest.raises(StateHistoryError, match="is locked by an update"):
        restore(s3, bucket, "security", "production", current, out=io.StringIO())
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"garbage again"


def test_a_stack_never_deployed_has_no_history(aws: Any, bucket: S3Location) -> None:
    out = io.StringIO()
    assert show_history(aws("s3"), bucket, "compute", "production", out=out) == 1
    assert "it was never deployed" in out.getvalue()


def test_the_task_reads_the_declared_bucket(endpoint: str, aws: Any) -> None:
    state_commands.bootstrap("production", endpoint=endpoint, out=io.StringIO())
    state = "webapp-production-state-123456789012-us-west-2"
    aws("s3").delete_bucket_policy(
        Bucket=state
    )  # moto ignores the TLS condition (see teams_support)
    aws("s3").put_object(Bucket=state, Key=".pulumi/stacks/security/production.json", Body=b"{}")
    out = io.StringIO()

    code = state_commands.state(
        "history", "production", project="security", endpoint=endpoint, out=out
    )

    assert code == 0
    assert f"(s3://{state}), newest first" in out.getvalue()
    assert "DAMAGED: no checkpoint in it" in out.getvalue()


@pytest.mark.parametrize(
    ("action", "options", "message"),
    [
        ("rename", {}, "unknown state action 'rename': use one of migrate, history, restore"),
        ("history", {}, "state history needs --project"),
        ("restore", {"project": "security"}, "state restore needs --version"),
        ("migrate", {"version": "v1"}, "state migrate does not take --version"),
        ("history", {"project": "security", "abandon": True}, "history does not take --abandon"),
        ("migrate", {}, "state migrate needs --to: `declared`"),
        ("history", {"project": "security", "endpoint": "localhost"}, "is not a URL"),
    ],
)
def test_state_options_are_checked_first(
    action: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(OrchestrationError, match=message):
        state_commands.state(action, "development", **options)


def test_history_needs_a_state_bucket(endpoint: str) -> None:
    with pytest.raises(OrchestrationError, match="development keeps no state in S3"):
        state_commands.state("history", "development", project="security", endpoint=endpoint)


def test_a_checkpoint_of_another_stack_is_named_and_never_restored(
    aws: Any, bucket: S3Location
) -> None:
    own = put(aws, checkpoint(2))
    # Storage's checkpoint copied over security's: it parses, but it is not security's state.
    copied = put(aws, checkpoint(4, project="storage"))
    out = io.StringIO()

    assert show_history(aws("s3"), bucket, "security", "production", out=out) == 0

    listed = versions(out.getvalue())
    assert listed[0][0] == copied
    assert "NOT THIS STACK'S: the checkpoint of storage/production" in " ".join(listed[0])
    assert "4 resources" not in " ".join(listed[0])
    assert "3 resources" not in out.getvalue()
    assert "2 resources" in " ".join(listed[1])
    put(aws, checkpoint(1))
    with pytest.raises(StateHistoryError, match="the checkpoint of storage/production"):
        restore(aws("s3"), bucket, "security", "production", copied, out=io.StringIO())
    assert restore(aws("s3"), bucket, "security", "production", own, out=io.StringIO()) == 0


def test_restoring_an_empty_version_warns_that_the_stack_would_hold_nothing(
    aws: Any, bucket: S3Location
) -> None:
    empty = put(aws, checkpoint(0))
    put(aws, checkpoint(3))
    out = io.StringIO()

    assert restore(aws("s3"), bucket, "security", "production", empty, out=out) == 0

    assert out.getvalue().startswith("WARNING: version ")
    assert "holds no resources" in out.getvalue()


def test_the_next_step_after_a_restore_keeps_the_endpoint(aws: Any, bucket: S3Location) -> None:
    good = put(aws, checkpoint(3))
    put(aws, b"garbage")
    out = io.StringIO()

    restore(aws("s3"), bucket, "security", "production", good, out=out, endpoint="http://emu:4566")

    assert (
        "`invoke refresh --env production --project security --endpoint http://emu:4566`"
        in out.getvalue()
    )
