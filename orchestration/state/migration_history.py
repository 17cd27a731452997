"""The update history records `state migrate` copies next to each migrated stack, and removes.

`pulumi stack migrate` copies a stack's checkpoint but not its history, so the source's records
(`.pulumi/history/<project>/<environment>/*.history.json`) are copied as they are; `pulumi stack
history` on the target then shows how the stack got where it is. Removing takes the names the
migration journal recorded, so nothing the migration did not copy is deleted.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from orchestration.state.backend import Backend

HISTORY_DIR = ".pulumi/history/{project}/{environment}"
HISTORY_SUFFIX = ".history.json"

Client = Callable[[str, str | None, str | None], Any]


def history_records(source: Backend, project: str) -> list[Path]:
    """The source's history records of `project` (the source is the local default)."""
    assert source.local_state_dir is not None
    relative = HISTORY_DIR.format(project=project, environment=source.environment)
    return sorted((source.local_state_dir / relative).glob(f"*{HISTORY_SUFFIX}"))


def copy_history(source: Backend, target: Backend, project: str, client: Client) -> None:
    """Copy `project`'s history records from `source` into `target` (an S3 bucket or folder)."""
    relative = HISTORY_DIR.format(project=project, environment=target.environment)
    records = history_records(source, project)
    bucket = target.location.bucket if target.location else None
    if bucket is not None:
        s3 = client("s3", bucket.region, bucket.endpoint)
        for record in records:
            s3.put_object(
                Bucket=bucket.bucket,
                Key=bucket.key(f"{relative}/{record.name}"),
                Body=record.read_bytes(),
            )
        return
    target_dir = file_backend_dir(target.url) / relative
    target_dir.mkdir(parents=True, exist_ok=True)
    for record in records:
        shutil.copy2(record, target_dir / record.name)


def remove_history(target: Backend, project: str, names: Sequence[str], client: Client) -> None:
    """Delete the records `names` of `project` from `target`; a missing one is no error."""
    relative = HISTORY_DIR.format(project=project, environment=target.environment)
    bucket = target.location.bucket if target.location else None
    if bucket is not None:
        s3 = client("s3", bucket.region, bucket.endpoint)
        for name in names:
            s3.delete_object(Bucket=bucket.bucket, Key=bucket.key(f"{relative}/{name}"))
        return
    for name in names:
        (file_backend_dir(target.url) / relative / name).unlink(missing_ok=True)


def file_backend_dir(url: str) -> Path:
    """The folder of a file:// backend URL."""
    return Path(url.removeprefix("file://")).expanduser()
