"""`invoke state history` / `invoke state restore`: a checkpoint's versions in the state bucket.

The state bucket keeps every version of every object (versioning is a bootstrap requirement),
so each update's checkpoint (`.pulumi/stacks/<project>/<env>.json`) stays recoverable for the
environment's `state_history_days` after it was replaced. `history` lists those versions, newest
first, each checked (does it parse as a checkpoint, is it this stack's, how many resources);
`restore` copies one of them back as the current version. Nothing is deleted: the version it
replaces (a damaged one, say) stays in the history too. Restoring refuses a stack that is
locked by a running update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.engine.interface import OrchestrationError
from orchestration.state.checkpoint import check_checkpoint
from orchestration.state.declaration import S3Location
from shared.references import DIY_ORGANIZATION, qualified_stack_name

CHECKPOINT_KEY = ".pulumi/stacks/{project}/{environment}.json"
LOCKS_PREFIX = ".pulumi/locks/{organization}/{project}/{environment}/"


class StateHistoryError(OrchestrationError):
    """The history cannot be read, or the restore was refused; nothing was changed."""


@dataclass(frozen=True)
class CheckpointVersion:
    """One stored version of a stack's checkpoint."""

    version_id: str
    saved: datetime
    size: int
    latest: bool
    # How many resources it holds; None when it is not a readable checkpoint.
    resources: int | None
    problem: str = ""
    # `<project>/<stack>` when the version is another stack's checkpoint.
    owner: str | None = None

    @property
    def valid(self) -> bool:
        return self.resources is not None


def checkpoint_key(bucket: S3Location, project: str, environment: str) -> str:
    """The object key of the stack's checkpoint in the state bucket."""
    return bucket.key(CHECKPOINT_KEY.format(project=project, environment=environment))


def checkpoint_versions(
    s3: Any, bucket: S3Location, project: str, environment: str
) -> list[CheckpointVersion]:
    """Every stored version of the checkpoint, newest first, each read and checked."""
    key = checkpoint_key(bucket, project, environment)
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket.bucket, Prefix=key)
        found = [
            version
            for page in pages
            for version in page.get("Versions", [])
            if version["Key"] == key
        ]
        versions = [
            _read(s3, bucket.bucket, key, version, project=project, environment=environment)
            for version in found
        ]
    except (ClientError, BotoCoreError) as error:
        raise StateHistoryError(
            f"cannot read the versions of s3://{bucket.bucket}/{key}: {error}"
        ) from error
    return sorted(versions, key=lambda version: version.saved, reverse=True)


def show_history(
    s3: Any, bucket: S3Location, project: str, environment: str, *, out: TextIO
) -> int:
    """Print the versions (newest first); the exit code (1 when there are none)."""
    stack = qualified_stack_name(DIY_ORGANIZATION, project, environment)
    versions = checkpoint_versions(s3, bucket, project, environment)
    if not versions:
        print(f"No checkpoint of {stack} in s3://{bucket.bucket}: it was never deployed.", file=out)
        return 1
    print(f"Checkpoint versions of {stack} (s3://{bucket.bucket}), newest first:", file=out)
    for version in versions:
        if version.valid:
            state = f"{version.resources} resources"
        elif version.owner is not None:
            state = f"NOT THIS STACK'S: {version.problem}"
        else:
            state = f"DAMAGED: {version.problem}"
        current = "  (current)" if version.latest else ""
        print(
            f"  {version.version_id}  {version.saved.isoformat(timespec='seconds')}  "
            f"{version.size:>8} bytes  {state}{current}",
            file=out,
        )
    print(
        f"Restore one with `invoke state restore --env {environment} --project {project} "
        "--version <id>`.",
        file=out,
    )
    return 0


def restore(
    s3: Any,
    bucket: S3Location,
    project: str,
    environment: str,
    version_id: str,
    *,
    out: TextIO,
    endpoint: str | None = None,
) -> int:
    """Make `version_id` the current checkpoint again (a new version); refusals change nothing.

    `endpoint`: the emulator the state is at, carried into the command printed next.
    """
    stack = qualified_stack_name(DIY_ORGANIZATION, project, environment)
    versions = {v.version_id: v for v in checkpoint_versions(s3, bucket, project, environment)}
    chosen = versions.get(version_id)
    if chosen is None:
        known = ", ".join(versions) or "none"
        raise StateHistoryError(
            f"{stack} has no checkpoint version {version_id!r} (versions: {known}); "
            f"`invoke state history --env {environment} --project {project}` lists them"
        )
    if not chosen.valid:
        raise StateHistoryError(
            f"version {version_id} of {stack} is not a usable checkpoint ({chosen.problem}); "
            "pick another one; nothing was restored"
        )
    if chosen.latest:
        print(f"Version {version_id} already is the current checkpoint of {stack}.", file=out)
        return 0
    lock_prefix = bucket.key(
        LOCKS_PREFIX.format(organization=DIY_ORGANIZATION, project=project, environment=environment)
    )
    key = checkpoint_key(bucket, project, environment)
    try:
        locks = s3.list_objects_v2(Bucket=bucket.bucket, Prefix=lock_prefix).get("KeyCount", 0)
        if locks:
            raise StateHistoryError(
                f"{stack} is locked by an update (s3://{bucket.bucket}/{lock_prefix}): restore "
                "after it ends, or release a stale lock with `pulumi cancel`; nothing was restored"
            )
        copied = s3.copy_object(
            Bucket=bucket.bucket,
            Key=key,
            CopySource={"Bucket": bucket.bucket, "Key": key, "VersionId": version_id},
        )
    except (ClientError, BotoCoreError) as error:
        raise StateHistoryError(f"cannot restore s3://{bucket.bucket}/{key}: {error}") from error
    again = f" --endpoint {endpoint}" if endpoint else ""
    if not chosen.resources:
        print(
            f"WARNING: version {version_id} of {stack} holds no resources: the stack now "
            "manages nothing of what is in the cloud. If that is not what you meant, "
            f"`invoke state history --env {environment} --project {project}{again}` lists "
            "the versions that hold resources.",
            file=out,
        )
    print(
        f"Restored {stack} to version {version_id} (saved "
        f"{chosen.saved.isoformat(timespec='seconds')}, {chosen.resources} resources) as the new "
        f"current version {copied.get('VersionId', '')}; the replaced versions stay in the "
        f"history. Next: `invoke refresh --env {environment} --project {project}{again}` "
        "reconciles the restored state with the cloud.",
        file=out,
    )
    return 0


def _read(
    s3: Any,
    bucket: str,
    key: str,
    version: Mapping[str, Any],
    *,
    project: str,
    environment: str,
) -> CheckpointVersion:
    body = s3.get_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])["Body"].read()
    check = check_checkpoint(body, project, environment)
    return CheckpointVersion(
        version_id=str(version["VersionId"]),
        saved=version["LastModified"],
        size=int(version.get("Size", len(body))),
        latest=bool(version.get("IsLatest")),
        resources=check.resources,
        problem=check.problem,
        owner=check.owner,
    )
