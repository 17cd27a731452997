"""`invoke state migrate` killed half-way: the rerun continues, `--abandon` undoes, runs refuse.

The real Pulumi CLI migrates stacks between two file backends (no cloud is needed to copy
state): every project of the topology gets a development stack in the local default, holding a
stack resource with an output. A kill -9 is simulated by an exception nothing catches (a
BaseException, as no handler runs for SIGKILL), raised from a step of the second stack.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from orchestration import commands, state_commands
from orchestration.engine.cli_engine import pulumi_command_at
from orchestration.engine.interface import EngineUnavailable
from orchestration.engine.pulumi_process import PulumiCli
from orchestration.state.aws import aws_client
from orchestration.state.backend import Backend, local_backend, resolve_backend
from orchestration.state.migrate import Migration, MigrationRefused
from orchestration.state.migration_journal import (
    Journal,
    JournalStore,
    UnfinishedMigration,
    journal_store,
)
from shared.paths import PROJECTS_DIR, REPO_ROOT
from shared.references import organization_for, qualified_stack_name
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY
from tests.moto_server import MOTO_ACCOUNT

ENV = "development"
ENDPOINT = "http://127.0.0.1:4566"
FIRST, SECOND = TOPOLOGY.names[0], TOPOLOGY.names[1]


class Killed(BaseException):
    """kill -9: the process ends where it is, and no `except` or rollback runs."""


def stack(project: str) -> str:
    return qualified_stack_name("organization", project, ENV)


@pytest.fixture(scope="session")
def pulumi() -> PulumiCli:
    bin_dir = commands.ensure_cli(REPO_ROOT / ".tools", lambda line: None)
    return pulumi_command_at(bin_dir)


class Repo:
    """A checkout's local default state with a stack per project, and a file target."""

    def __init__(self, root: Path, settings: EnvironmentSettings, pulumi: PulumiCli) -> None:
        self.root = root
        self.pulumi = pulumi
        self.home = root / "pulumi-home"
        self.source = local_backend(settings, environ={}, state_dir=root / ".pulumi-state")
        target_dir = root / "target"
        target_dir.mkdir()
        url = target_dir.as_uri()
        self.target = Backend(
            environment=ENV,
            url=url,
            organization=organization_for(url),
            secrets_env=self.source.secrets_env,
            location=None,
        )

    def cli(self, backend: Backend, project: str, *arguments: str) -> str:
        # One workspace per backend: a stack file's salt belongs to one backend's stack.
        side = "source" if backend.local_default else "target"
        directory = self.root / "workspaces" / side / project
        if not directory.exists():
            directory.mkdir(parents=True)
            (directory / "Pulumi.yaml").write_text(f"name: {project}\nruntime: python\n")
        env = {**backend.env_vars(), "PULUMI_HOME": str(self.home)}
        return str(self.pulumi.run(list(arguments), str(directory), env).stdout)

    def seed(self) -> None:
        """Each project's development stack: a stack resource exporting `name`."""
        self.source.prepare()
        for project in TOPOLOGY.names:
            self.cli(self.source, project, "stack", "init", stack(project))
            exported = json.loads(self.cli(self.source, project, "stack", "export"))
            urn = f"urn:pulumi:{ENV}::{project}::pulumi:pulumi:Stack::{project}-{ENV}"
            exported["deployment"]["resources"] = [
                {
                    "urn": urn,
                    "custom": False,
                    "type": "pulumi:pulumi:Stack",
                    "outputs": {"name": project},
                }
            ]
            exported_file = self.root / f"{project}.json"
            exported_file.write_text(json.dumps(exported))
            self.cli(self.source, project, "stack", "import", "--file", str(exported_file))

    def migration(self, out: io.StringIO, *, source: Backend | None = None) -> Migration:
        return Migration(
            source=source or self.source,
            target=self.target,
            projects_dir=PROJECTS_DIR,
            command=self.pulumi,
            pulumi_home=self.home,
            out=out,
            endpoint=ENDPOINT,
        )

    def target_stacks(self) -> set[str]:
        found = set()
        for project in TOPOLOGY.names:
            listed = json.loads(self.cli(self.target, project, "stack", "ls", "--json") or "[]")
            found |= {f"{project}/{entry['name']}" for entry in listed}
        return found

    def outputs(self, backend: Backend, project: str) -> Any:
        return json.loads(
            self.cli(backend, project, "stack", "output", "--json", "--stack", stack(project))
        )

    def journal(self) -> JournalStore:
        store = journal_store(self.target, lambda *_: None)
        assert store is not None
        return store


@pytest.fixture
def repo(tmp_path: Path, development: EnvironmentSettings, pulumi: PulumiCli) -> Repo:
    checkout = Repo(tmp_path, development, pulumi)
    checkout.seed()
    return checkout


def kill_at(repo: Repo, step: str) -> Repo:
    """`repo` after a migration killed in SECOND's `step` (FIRST is copied by then)."""
    original = getattr(Migration, step)

    def dies_at_second(self: Migration, project: str, work: Path) -> None:
        if project == SECOND:
            raise Killed
        original(self, project, work)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Migration, step, dies_at_second)
        with pytest.raises(Killed):
            repo.migration(io.StringIO()).run()
    return repo


@pytest.fixture
def killed(repo: Repo) -> Repo:
    """Killed before SECOND's stack exists in the target."""
    return kill_at(repo, "_migrate")


# Before SECOND's stack exists in the target, and after it exists but before it is verified.
@pytest.mark.parametrize("step", ["_migrate", "_verify"])
def test_a_rerun_continues_after_a_kill_and_copies_nothing_twice(repo: Repo, step: str) -> None:
    killed = kill_at(repo, step)
    assert f"{FIRST}/{ENV}" in killed.target_stacks()
    out = io.StringIO()

    assert killed.migration(out).run() == 0

    printed = out.getvalue()
    assert f"Resuming: an interrupted migration of {ENV} to {killed.target.url} copied " in printed
    assert f"Migrating {stack(FIRST)}" not in printed
    assert f"Migrating {stack(SECOND)}" in printed
    assert f"verified {stack(FIRST)}" in printed
    assert killed.target_stacks() == {f"{name}/{ENV}" for name in TOPOLOGY.names}
    for project in TOPOLOGY.names:
        assert killed.outputs(killed.target, project) == {"name": project}
    assert killed.journal().read() is None


def test_abandon_removes_only_what_the_migration_created(killed: Repo) -> None:
    # A stack of the target that no migration made (another environment's) is left alone.
    killed.cli(killed.target, FIRST, "stack", "init", "organization/" + FIRST + "/other")
    out = io.StringIO()

    assert killed.migration(out).abandon() == 0

    assert killed.target_stacks() == {f"{FIRST}/other"}
    assert killed.journal().read() is None
    printed = out.getvalue()
    assert stack(FIRST) in printed.split("removed ", 1)[1]
    assert "\n" not in printed.strip()
    # The source is intact, and a fresh migration now starts from the beginning.
    assert killed.outputs(killed.source, FIRST) == {"name": FIRST}
    again = io.StringIO()
    assert killed.migration(again).run() == 0
    assert f"Migrating {stack(FIRST)}" in again.getvalue()


def test_another_checkout_is_told_what_is_there_and_how_to_undo_it(
    killed: Repo, development: EnvironmentSettings
) -> None:
    elsewhere = local_backend(development, environ={}, state_dir=killed.root / "other-checkout")

    with pytest.raises(MigrationRefused) as refused:
        killed.migration(io.StringIO(), source=elsewhere).run()

    message = str(refused.value)
    assert f"copied {stack(FIRST)}; left to copy: {stack(SECOND)}" in message
    assert (
        f"`invoke state migrate --env {ENV} --to declared --endpoint {ENDPOINT} --abandon`"
        in message
    )
    assert "\n" not in message
    assert f"{FIRST}/{ENV}" in killed.target_stacks()


def test_runs_against_a_half_migrated_backend_refuse(
    killed: Repo, development: EnvironmentSettings, tmp_path: Path
) -> None:
    def no_cli(tools: Path, progress: Any) -> Path:
        raise AssertionError("the CLI must not be looked for")

    environ = {"PULUMI_BACKEND_URL": killed.target.url, "PULUMI_CONFIG_PASSPHRASE": "x"}

    with pytest.raises(UnfinishedMigration) as refused:
        commands.open_orchestrator(
            development,
            paths=commands.Paths.for_repo(tmp_path / "deployer"),
            endpoint=ENDPOINT,
            environ=environ,
            checks=commands.Checks(locate_cli=no_cli),
        )

    message = str(refused.value)
    assert f"is half-migrated (1 of {len(TOPOLOGY.names)} stacks copied from " in message
    assert f"finish it with `invoke state migrate --env {ENV} --to declared --endpoint " in message
    assert "--abandon`; nothing was run" in message
    assert "\n" not in message


def test_the_guard_reads_the_journal_from_the_state_bucket(
    endpoint: str, production: EnvironmentSettings, tmp_path: Path
) -> None:
    state_commands.bootstrap("production", endpoint=endpoint, out=io.StringIO())
    paths = commands.Paths.for_repo(tmp_path / "repo")
    target = resolve_backend(
        production,
        environ={},
        state_dir=paths.state_dir,
        endpoint=endpoint,
        lookup_account=lambda region, url: MOTO_ACCOUNT,
    )
    store = journal_store(target, aws_client)
    assert store is not None
    located: list[Path] = []

    def locate(tools: Path, progress: Any) -> Path:
        located.append(tools)
        return tmp_path / "bin"

    def open_it() -> None:
        commands.open_orchestrator(
            production,
            paths=paths,
            endpoint=endpoint,
            environ={},
            checks=commands.Checks(locate_cli=locate),
        )

    # moto applies the bootstrapped TLS-only policy without its condition: every object read
    # is denied, as an IAM policy without the journal would. Not knowing is not "none".
    with pytest.raises(UnfinishedMigration, match=r"cannot tell .* allow s3:GetObject on it"):
        open_it()
    s3 = aws_client("s3", "us-west-2", endpoint)
    s3.delete_bucket_policy(Bucket=f"webapp-production-state-{MOTO_ACCOUNT}-us-west-2")
    store.write(
        Journal(
            environment="production",
            source="file:///elsewhere/.pulumi-state",
            target=target.url,
            to="s3",
            project=None,
            projects=list(TOPOLOGY.names),
        )
    )

    with pytest.raises(UnfinishedMigration, match=f"--to s3 --endpoint {endpoint} --abandon`"):
        open_it()
    assert located == []

    store.delete()
    with pytest.raises(EngineUnavailable, match="no Pulumi CLI at"):
        open_it()
    assert located == [paths.tools_dir]
