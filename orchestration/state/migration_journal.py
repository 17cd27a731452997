"""The journal of a `state migrate` in progress, kept in the target backend itself.

A migration copies stacks one after another; a process killed between two of them (kill -9, a
lost laptop) leaves the target with some stacks and not the others. Deploying from such a target
would create the missing stacks' resources a second time beside the originals, and a rerun could
not tell its own leftovers from a teammate's stacks. So the migration writes this journal before
it creates anything and deletes it only once every stack is copied and verified: a rerun reads
it to continue (or `--abandon` to remove exactly what it created), and every run against the
target refuses while it exists.

It lives beside Pulumi's own `.pulumi/` folder, not inside it, so the CLI never mistakes it for
state: `<backend root>/.pulumi-migration/<environment>.json`, an S3 object or a file. Everyone who
reads the environment's state also reads it (README: Teams and shared state, IAM).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestration.engine.interface import OrchestrationError
from orchestration.state.backend import Backend
from orchestration.state.declaration import S3Location

JOURNAL_PATH = ".pulumi-migration/{environment}.json"
JOURNAL_VERSION = 1

Client = Callable[[str, str | None, str | None], Any]


class UnfinishedMigration(OrchestrationError):
    """The target holds a migration that was interrupted; nothing was run."""


@dataclass
class Journal:
    """What one migration set out to do and how far it got (project names, in deploy order)."""

    environment: str
    source: str
    target: str
    # How it was started: `--to` and `--project`, for the commands it prints.
    to: str
    project: str | None
    projects: list[str]
    # Each project whose stack the migration began to create in the target (so may have made).
    started: list[str] = field(default_factory=list)
    # Each project whose stack is copied and verified.
    done: list[str] = field(default_factory=list)
    # project -> names of the update history records copied next to its stack.
    history: dict[str, list[str]] = field(default_factory=dict)

    def command(self, endpoint: str | None, *, abandon: bool = False) -> str:
        """The `invoke state migrate` that continues (or abandons) this migration."""
        return migrate_command(self.environment, self.to, self.project, endpoint, abandon=abandon)


def migrate_command(
    environment: str,
    to: str,
    project: str | None,
    endpoint: str | None,
    *,
    abandon: bool = False,
) -> str:
    """`invoke state migrate ...` with the options given, `--endpoint` included."""
    words = ["invoke state migrate", f"--env {environment}", f"--to {to}"]
    if project:
        words.append(f"--project {project}")
    if endpoint:
        words.append(f"--endpoint {endpoint}")
    if abandon:
        words.append("--abandon")
    return " ".join(words)


class JournalStore:
    """Reads, writes and deletes one environment's journal in an S3 bucket or a folder."""

    def __init__(
        self, environment: str, *, bucket: S3Location | None, folder: Path | None, client: Client
    ) -> None:
        self._path = JOURNAL_PATH.format(environment=environment)
        self._bucket = bucket
        self._folder = folder
        self._client = client

    @property
    def where(self) -> str:
        """The journal's address, for messages."""
        if self._bucket is not None:
            return f"s3://{self._bucket.bucket}/{self._bucket.key(self._path)}"
        assert self._folder is not None
        return str(self._folder / self._path)

    def read(self) -> Journal | None:
        """The journal, or None when no migration is unfinished."""
        text = self._read_text()
        if text is None:
            return None
        try:
            data = json.loads(text)
            data.pop("version", None)
            return Journal(**data)
        except (ValueError, TypeError) as error:
            raise UnfinishedMigration(
                f"the migration journal {self.where} is unreadable ({error}): an interrupted "
                "`invoke state migrate` left it; compare the target's stacks with the source "
                "and delete it by hand"
            ) from error

    def write(self, journal: Journal) -> None:
        """Store `journal` (the whole of it: each write replaces the last)."""
        body = json.dumps({"version": JOURNAL_VERSION, **asdict(journal)}, indent=2).encode()
        if self._bucket is not None:
            self._s3().put_object(
                Bucket=self._bucket.bucket, Key=self._bucket.key(self._path), Body=body
            )
            return
        assert self._folder is not None
        path = self._folder / self._path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: a kill mid-write leaves the previous journal, never half.
        partial = path.with_suffix(".partial")
        partial.write_bytes(body)
        partial.replace(path)

    def delete(self) -> None:
        """Remove the journal: the migration is finished or abandoned."""
        if self._bucket is not None:
            self._s3().delete_object(Bucket=self._bucket.bucket, Key=self._bucket.key(self._path))
            return
        assert self._folder is not None
        (self._folder / self._path).unlink(missing_ok=True)

    def _read_text(self) -> str | None:
        if self._bucket is not None:
            # Imported here: boto3 is heavy, and a file backend never needs it.
            from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

            try:
                body = self._s3().get_object(
                    Bucket=self._bucket.bucket, Key=self._bucket.key(self._path)
                )
                return str(body["Body"].read().decode())
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code in {"NoSuchKey", "404"}:
                    return None
                problem = f"S3 answered {code}"
            except BotoCoreError as error:
                problem = str(error)
            # Unknown is not "none": a deploy into a half-migrated backend duplicates stacks.
            raise UnfinishedMigration(
                f"cannot tell whether a migration into the state bucket is unfinished: reading "
                f"{self.where} failed ({problem}); allow s3:GetObject on it (README: Teams and "
                "shared state, IAM); nothing was run"
            )
        assert self._folder is not None
        path = self._folder / self._path
        return path.read_text() if path.is_file() else None

    def _s3(self) -> Any:
        assert self._bucket is not None
        return self._client("s3", self._bucket.region, self._bucket.endpoint)


def journal_store(backend: Backend, client: Client) -> JournalStore | None:
    """Where `backend` keeps a migration journal; None for a backend no migration targets.

    The local default is only ever a source; a backend given by PULUMI_BACKEND_URL carries no
    declared bucket, and is read from a file:// URL when it is one.
    """
    if backend.local_default:
        return None
    bucket = backend.location.bucket if backend.location is not None else None
    if bucket is not None:
        return JournalStore(backend.environment, bucket=bucket, folder=None, client=client)
    if backend.url.startswith("file://"):
        folder = Path(backend.url.removeprefix("file://")).expanduser()
        return JournalStore(backend.environment, bucket=None, folder=folder, client=client)
    return None


def refuse_unfinished_migration(
    backend: Backend, endpoint: str | None, client: Client | None = None
) -> None:
    """UnfinishedMigration (one line naming how to finish or undo it) if the target has one."""
    if client is None:
        # Imported here: boto3 is heavy and a file backend never needs it.
        from orchestration.state.aws import aws_client  # noqa: PLC0415

        client = aws_client
    store = journal_store(backend, client)
    journal = store.read() if store is not None else None
    if journal is None:
        return
    raise UnfinishedMigration(
        f"the state of {backend.environment} in {backend.url} is half-migrated "
        f"({len(journal.done)} of {len(journal.projects)} stacks copied from {journal.source}): "
        f"finish it with `{journal.command(endpoint)}` or remove what it copied with "
        f"`{journal.command(endpoint, abandon=True)}`; nothing was run"
    )
