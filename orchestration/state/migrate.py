"""`invoke state migrate`: move an environment's stacks from the local default to a shared backend.

Per stack, with the real Pulumi CLI: `pulumi stack migrate` (the CLI's own export and import: it
creates the target stack with the target's secrets provider, decrypts every secret with the
source's passphrase and re-encrypts it with the target's provider, and leaves the source
backend untouched), then the source's update history records are copied next to the new stack,
so `pulumi stack history` on the shared backend still shows how the stack got where it is.

Checked and resumable: each migrated stack is verified (the same outputs, secrets included, the
same resources, the history there) before the next one starts. Before it creates anything the run
writes a journal into the target (`orchestration.state.migration_journal`) naming the source and
each stack started and done, and deletes it only at the end. A run killed in between (kill -9)
leaves the journal: the rerun continues with the stacks not yet copied after checking the copied
ones against the source, `--abandon` removes exactly what the migration created, and every other
run against the target refuses until one of the two is done. When a step fails in the running
process, everything the migration created is removed again. A target stack no journal names
is never touched: the run refuses before anything. The source is never changed: the local stacks
stay in `.pulumi-state/` until you delete them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.engine.interface import OrchestrationError
from orchestration.engine.pulumi_process import CliError, PulumiCli
from orchestration.state.aws import aws_client
from orchestration.state.backend import Backend
from orchestration.state.migration_check import verification_problems, verification_summary
from orchestration.state.migration_history import copy_history, history_records, remove_history
from orchestration.state.migration_journal import Journal, JournalStore, journal_store
from shared.references import qualified_stack_name
from shared.topology import TOPOLOGY

LOCKS_DIR = ".pulumi/locks/{organization}/{project}/{environment}"

Client = Callable[[str, str | None, str | None], Any]


def _with(names: Sequence[str], name: str) -> list[str]:
    return [*names, name] if name not in names else list(names)


class MigrationRefused(OrchestrationError):
    """The migration cannot start, or failed and was rolled back; the source is untouched."""


class Migration:
    """Moves an environment's stacks from `source` to `target` with the CLI in `command`.

    `to` and `endpoint` are how the user named the target and the emulator: the commands it
    prints repeat them.
    """

    def __init__(
        self,
        *,
        source: Backend,
        target: Backend,
        projects_dir: Path,
        command: PulumiCli,
        pulumi_home: Path | None,
        out: TextIO,
        to: str = "declared",
        endpoint: str | None = None,
        client: Client = aws_client,
    ) -> None:
        self._source = source
        self._target = target
        self._projects_dir = projects_dir
        self._command = command
        self._home = pulumi_home
        self._out = out
        self._client = client
        self._to = to
        self._endpoint = endpoint
        self._environment = source.environment

    def run(self, project: str | None = None) -> int:
        """Migrate `project` (None: every project with a source stack), or continue the
        migration the target's journal records; the exit code. Refusals raise."""
        if self._target.local_default:
            raise MigrationRefused(
                f"the target of the migration is the local default backend itself "
                f"({self._source.url}): declare state_backend: s3 for {self._environment} first"
            )
        store = self._store()
        journal = store.read()
        with tempfile.TemporaryDirectory(prefix="state-migrate-") as scratch:
            work = Path(scratch)
            if journal is not None:
                self._resume(journal, project, work)
            else:
                wanted = (project,) if project else TOPOLOGY.names
                present = [name for name in wanted if self._exists(self._source, name, work)]
                if not present:
                    print(
                        f"Nothing to migrate: {self._source.url} has no {self._environment} "
                        "stacks.",
                        file=self._out,
                    )
                    return 0
                self._refuse_conflicts(present, work)
                journal = Journal(
                    environment=self._environment,
                    source=self._source.url,
                    target=self._target.url,
                    to=self._to,
                    project=project,
                    projects=present,
                )
                # Written before the first stack exists in the target: whatever a kill leaves
                # there is named in it.
                store.write(journal)
            self._copy_remaining(journal, store, work)
        store.delete()
        stacks = ", ".join(self._stack(name) for name in journal.projects)
        print(
            f"Migrated {stacks} to {self._target.url} with the secrets provider "
            f"{self._target.secrets_provider}: outputs, resources and history verified. The "
            f"source stacks are unchanged in {self._source.url}; delete them once you no longer "
            "need them.",
            file=self._out,
        )
        return 0

    def abandon(self) -> int:
        """Remove from the target what the unfinished migration created, then its journal."""
        store = self._store()
        journal = store.read()
        if journal is None:
            print(
                f"Nothing to abandon: {self._target.url} has no unfinished migration of "
                f"{self._environment}.",
                file=self._out,
            )
            return 0
        with tempfile.TemporaryDirectory(prefix="state-migrate-") as scratch:
            removed, failed = self._remove(journal, Path(scratch))
        if failed:
            raise MigrationRefused(
                f"could not remove {'; '.join(failed)}; the journal {store.where} still names "
                f"what is left: run `{self._command_line(journal, abandon=True)}` again"
            )
        store.delete()
        what = ", ".join(removed) if removed else "no stack (none had been created yet)"
        print(
            f"Abandoned the migration of {self._environment} to {self._target.url}: removed "
            f"{what}, only what it created. The source is unchanged in {journal.source}.",
            file=self._out,
        )
        return 0

    # ---- the journal ------------------------------------------------------------------------

    def _store(self) -> JournalStore:
        store = journal_store(self._target, self._client)
        if store is None:
            raise MigrationRefused(
                f"cannot migrate to {self._target.url}: a migration keeps its journal in the "
                "target, which must be an s3:// bucket or a file:// folder"
            )
        return store

    def _resume(self, journal: Journal, project: str | None, work: Path) -> None:
        """Check that this run may continue `journal`; re-verify what it already copied."""
        what = self._half_filled(journal)
        if journal.source != self._source.url:
            raise MigrationRefused(
                f"{what}, started from {journal.source}, not this checkout's {self._source.url}: "
                f"finish it there with `{self._command_line(journal)}`, or remove what it "
                f"copied with `{self._command_line(journal, abandon=True)}`"
            )
        if (journal.to, journal.project) != (self._to, project):
            raise MigrationRefused(
                f"{what}: finish it first with `{self._command_line(journal)}`, or remove what "
                f"it copied with `{self._command_line(journal, abandon=True)}`"
            )
        print(f"Resuming: {what}.", file=self._out)
        for name in journal.done:
            try:
                self._verify(name, work)
            except (OrchestrationError, CliError) as error:
                raise MigrationRefused(
                    f"{self._stack(name)}, copied by the interrupted migration, no longer "
                    f"matches the source ({_first_lines(str(error))}): remove what it copied "
                    f"with `{self._command_line(journal, abandon=True)}`, then migrate again"
                ) from error

    def _half_filled(self, journal: Journal) -> str:
        done = ", ".join(self._stack(n) for n in journal.done) or "none of its stacks"
        left = ", ".join(self._stack(n) for n in journal.projects if n not in journal.done)
        return (
            f"an interrupted migration of {self._environment} to {self._target.url} copied "
            f"{done}; left to copy: {left}"
        )

    def _copy_remaining(self, journal: Journal, store: JournalStore, work: Path) -> None:
        try:
            for name in journal.projects:
                if name in journal.done:
                    continue
                if name in journal.started and self._exists(self._target, name, work):
                    # A kill in the middle of this stack's copy: what it left is incomplete.
                    self._rm(name, work)
                journal.started = _with(journal.started, name)
                journal.history[name] = [
                    record.name for record in history_records(self._source, name)
                ]
                store.write(journal)
                self._migrate(name, work)
                copy_history(self._source, self._target, name, self._client)
                self._verify(name, work)
                journal.done = _with(journal.done, name)
                store.write(journal)
        except (OrchestrationError, CliError, OSError, BotoCoreError, ClientError) as error:
            _, failed = self._remove(journal, work)
            if failed:
                raise MigrationRefused(
                    f"the migration of {self._environment} failed ({_first_lines(str(error))}) "
                    f"and could not remove {'; '.join(failed)}: run "
                    f"`{self._command_line(journal, abandon=True)}` to remove the rest"
                ) from error
            store.delete()
            raise MigrationRefused(
                f"the migration of {self._environment} failed and was rolled back (the "
                f"target has none of this migration's stacks; the source is untouched): "
                f"{_first_lines(str(error))}"
            ) from error

    def _command_line(self, journal: Journal, *, abandon: bool = False) -> str:
        return journal.command(self._endpoint, abandon=abandon)

    # ---- steps ------------------------------------------------------------------------------

    def _refuse_conflicts(self, projects: Sequence[str], work: Path) -> None:
        taken = [self._stack(name) for name in projects if self._exists(self._target, name, work)]
        if taken:
            raise MigrationRefused(
                f"the target {self._target.url} already has {', '.join(taken)}, and no "
                "migration of this repository left it there: nothing was migrated (remove those "
                "stacks there first if they are leftovers, or deploy from the target)"
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

    def _verify(self, project: str, work: Path) -> None:
        before = self._read(self._source, project, work)
        after = self._read(self._target, project, work)
        problems = verification_problems(before, after)
        if problems:
            raise MigrationRefused(f"{self._stack(project)} did not verify: {'; '.join(problems)}")
        print(verification_summary(self._stack(project), before, after), file=self._out)

    def _remove(self, journal: Journal, work: Path) -> tuple[list[str], list[str]]:
        """Remove each stack (and copied history) the journal says this migration started.

        Only those: a stack of the target the journal does not name is never touched. Returns
        the stacks removed and one line per failure; the journal is updated as it goes.
        """
        removed: list[str] = []
        failed: list[str] = []
        for name in reversed(journal.started):
            try:
                if self._exists(self._target, name, work):
                    self._rm(name, work)
                    removed.append(self._stack(name))
                remove_history(self._target, name, journal.history.get(name, []), self._client)
            except (CliError, OSError, BotoCoreError, ClientError) as error:
                failed.append(
                    f"{self._stack(name)} from {self._target.url} ({_first_lines(str(error))})"
                )
                print(f"  could not remove {failed[-1]}", file=self._out)
                continue
            journal.started = [n for n in journal.started if n != name]
            journal.done = [n for n in journal.done if n != name]
            journal.history.pop(name, None)
        if failed:
            self._store().write(journal)
        return removed, failed

    def _rm(self, project: str, work: Path) -> None:
        directory = self._workspace(project, work / "remove")
        self._cli(
            self._target, directory, ["stack", "rm", self._stack(project), "--force", "--yes"]
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


def _first_lines(text: str, limit: int = 6) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:limit])
