"""`invoke state migrate`: move an environment's stacks from the local default to a shared backend.

Per stack, with the real Pulumi CLI: `pulumi stack migrate` (the CLI's own export and import: it
creates the target stack with the target's secrets provider, decrypts every secret with the
source's passphrase and re-encrypts it with the target's provider, and leaves the source
backend untouched), then the source's update history records are copied next to the new stack,
so `pulumi stack history` on the shared backend still shows how the stack got where it is.

All-or-nothing and checked: the run refuses before anything when the target already has a stack
of that name, and each migrated stack is verified (the same outputs, secrets included, the same
resources, the history there) before the next one starts. If anything fails, every stack this
run created is removed from the target again. The source is never changed: the local stacks stay
in `.pulumi-state/` until you delete them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from orchestration.engine.interface import OrchestrationError
from orchestration.engine.pulumi_process import CliError, PulumiCli
from orchestration.state.aws import aws_client
from orchestration.state.backend import Backend
from shared.references import qualified_stack_name

HISTORY_DIR = ".pulumi/history/{project}/{environment}"
LOCKS_DIR = ".pulumi/locks/{organization}/{project}/{environment}"
HISTORY_SUFFIX = ".history.json"

Client = Callable[[str, str | None, str | None], Any]


class MigrationRefused(OrchestrationError):
    """The migration cannot start, or failed and was rolled back; the source is untouched."""


class Migration:
    """Moves the stacks of `projects` from `source` to `target` with the CLI in `command`."""

    def __init__(
        self,
        *,
        source: Backend,
        target: Backend,
        projects_dir: Path,
        command: PulumiCli,
        pulumi_home: Path | None,
        out: TextIO,
        client: Client = aws_client,
    ) -> None:
        self._source = source
        self._target = target
        self._projects_dir = projects_dir
        self._command = command
        self._home = pulumi_home
        self._out = out
        self._client = client
        self._environment = source.environment

    def run(self, projects: Sequence[str]) -> int:
        """Migrate every project that has a source stack; the exit code. Refusals raise."""
        if self._target.local_default:
            raise MigrationRefused(
                f"the target of the migration is the local default backend itself "
                f"({self._source.url}): declare state_backend: s3 for {self._environment} first"
            )
        with tempfile.TemporaryDirectory(prefix="state-migrate-") as scratch:
            work = Path(scratch)
            present = [name for name in projects if self._exists(self._source, name, work)]
            if not present:
                print(
                    f"Nothing to migrate: {self._source.url} has no {self._environment} stacks.",
                    file=self._out,
                )
                return 0
            self._refuse_conflicts(present, work)
            created: list[str] = []
            try:
                for name in present:
                    self._migrate(name, work)
                    created.append(name)
                    self._copy_history(name)
                    self._verify(name, work)
            except (OrchestrationError, CliError, OSError) as error:
                self._roll_back(created, work)
                raise MigrationRefused(
                    f"the migration of {self._environment} failed and was rolled back (the "
                    f"target has none of this run's stacks; the source is untouched): "
                    f"{_first_lines(str(error))}"
                ) from error
        stacks = ", ".join(self._stack(name) for name in present)
        print(
            f"Migrated {stacks} to {self._target.url} with the secrets provider "
            f"{self._target.secrets_provider}: outputs, resources and history verified. The "
            f"source stacks are unchanged in {self._source.url}; delete them once you no longer "
            "need them.",
            file=self._out,
        )
        return 0

    # ---- steps ------------------------------------------------------------------------------

    def _refuse_conflicts(self, projects: Sequence[str], work: Path) -> None:
        taken = [self._stack(name) for name in projects if self._exists(self._target, name, work)]
        if taken:
            raise MigrationRefused(
                f"the target {self._target.url} already has {', '.join(taken)}: nothing was "
                "migrated (remove those stacks there first if they are leftovers, or deploy "
                "from the target)"
            )
        locked = [name for name in projects if self._source_locked(name)]
        if locked:
            raise MigrationRefused(
                f"{', '.join(self._stack(n) for n in locked)} is locked by a running update in "
                f"{self._source.url}: migrate after it ends; nothing was migrated"
            )

    def _migrate(self, project: str, work: Path) -> None:
        print(f"Migrating {self._stack(project)} to {self._target.url} ...", file=self._out)
        directory = self._workspace(project, work / "target")
        self._cli(
            self._target,
            directory,
            [
                "stack",
                "migrate",
                self._source.url,
                self._stack(project),
                "--secrets-provider",
                self._target.secrets_provider,
                "--yes",
            ],
            extra=self._source.secrets_env,
        )

    def _copy_history(self, project: str) -> None:
        assert self._source.local_state_dir is not None  # the source is the local default
        relative = HISTORY_DIR.format(project=project, environment=self._environment)
        records = sorted((self._source.local_state_dir / relative).glob(f"*{HISTORY_SUFFIX}"))
        bucket = self._target.location.bucket if self._target.location else None
        if bucket is not None:
            s3 = self._client("s3", bucket.region, bucket.endpoint)
            for record in records:
                s3.put_object(
                    Bucket=bucket.bucket,
                    Key=bucket.key(f"{relative}/{record.name}"),
                    Body=record.read_bytes(),
                )
            return
        target_dir = _file_backend_dir(self._target.url) / relative
        target_dir.mkdir(parents=True, exist_ok=True)
        for record in records:
            shutil.copy2(record, target_dir / record.name)

    def _verify(self, project: str, work: Path) -> None:
        before = self._read(self._source, project, work)
        after = self._read(self._target, project, work)
        problems = [
            f"{what} differ ({before[what]!r} in the source, {after[what]!r} in the target)"
            for what in ("outputs", "resources")
            if before[what] != after[what]
        ]
        if after["updates"] < before["updates"]:
            problems.append(
                f"the target shows {after['updates']} of the {before['updates']} past updates"
            )
        if problems:
            raise MigrationRefused(f"{self._stack(project)} did not verify: {'; '.join(problems)}")
        print(
            f"  verified {self._stack(project)}: {len(before['outputs'])} outputs, "
            f"{before['resources']} resources, {after['updates']} past updates",
            file=self._out,
        )

    def _roll_back(self, projects: Sequence[str], work: Path) -> None:
        for name in reversed(projects):
            directory = self._workspace(name, work / "rollback")
            try:
                self._cli(
                    self._target,
                    directory,
                    ["stack", "rm", self._stack(name), "--force", "--yes"],
                )
            except CliError as error:
                print(
                    f"  could not remove {self._stack(name)} from {self._target.url}: "
                    f"{_first_lines(str(error))}",
                    file=self._out,
                )

    # ---- reading ----------------------------------------------------------------------------

    def _read(self, backend: Backend, project: str, work: Path) -> dict[str, Any]:
        directory = self._workspace(project, work / "read")
        stack = self._stack(project)
        outputs = json.loads(
            self._cli(
                backend,
                directory,
                ["stack", "output", "--json", "--show-secrets", "--stack", stack],
            ).stdout
        )
        exported = json.loads(
            self._cli(backend, directory, ["stack", "export", "--stack", stack]).stdout
        )
        resources = sorted(
            str(resource.get("urn")) for resource in exported["deployment"].get("resources") or []
        )
        history = json.loads(
            self._cli(backend, directory, ["stack", "history", "--json", "--stack", stack]).stdout
            or "[]"
        )
        return {"outputs": outputs, "resources": resources, "updates": len(history)}

    def _exists(self, backend: Backend, project: str, work: Path) -> bool:
        directory = self._workspace(project, work / "list")
        listed = json.loads(self._cli(backend, directory, ["stack", "ls", "--json"]).stdout or "[]")
        names = {str(entry.get("name")) for entry in listed}
        return bool(
            names
            & {
                self._stack(project),
                self._environment,
                f"{backend.organization}/{self._environment}",
            }
        )

    def _source_locked(self, project: str) -> bool:
        assert self._source.local_state_dir is not None
        locks = self._source.local_state_dir / LOCKS_DIR.format(
            organization=self._source.organization, project=project, environment=self._environment
        )
        return any(locks.glob("*.json"))

    # ---- plumbing ---------------------------------------------------------------------------

    def _stack(self, project: str) -> str:
        return qualified_stack_name(self._source.organization, project, self._environment)

    def _workspace(self, project: str, root: Path) -> Path:
        """A directory with the project's Pulumi.yaml and committed stack file (no salt in it)."""
        directory = root / project
        if not directory.exists():
            directory.mkdir(parents=True)
            source = self._projects_dir / project
            shutil.copyfile(source / "Pulumi.yaml", directory / "Pulumi.yaml")
            stack_file = source / f"Pulumi.{self._environment}.yaml"
            if stack_file.is_file():
                shutil.copyfile(stack_file, directory / stack_file.name)
        return directory

    def _cli(
        self,
        backend: Backend,
        directory: Path,
        arguments: list[str],
        extra: Mapping[str, str] | None = None,
    ) -> Any:
        env = {**backend.env_vars(), "PULUMI_SKIP_UPDATE_CHECK": "true", **(extra or {})}
        if self._home is not None:
            env["PULUMI_HOME"] = str(self._home)
        return self._command.run(arguments, str(directory), env)


def _file_backend_dir(url: str) -> Path:
    return Path(url.removeprefix("file://")).expanduser()


def _first_lines(text: str, limit: int = 6) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:limit])
