"""Support for engine tests: one isolated world per test for the real Pulumi engine.

Used by the fixtures in conftest.py; tests import `EngineEnv` from here for type hints, and
`copy_repo` when a test must change a setting or a program without touching committed files.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.engine.emulated_account import AccountKeys, Operator, new_account
from tests.engine.standin_aws.faults import FAULTS_FILE_ENV, Faults
from tests.engine.standin_aws.install import EXECUTABLE
from tests.moto_server import stop_by_closing_input

# TEST-ONLY program changes: a secret output of the security stack, and the storage stack
# reading it through a StackReference (appended to copies of the projects' __main__.py).
SECRET = "cross-stack-secret-probe"

SECRET_EXPORT = f"""
# TEST ONLY: a secret output for the storage stack to read.
pulumi.export("probe_secret", pulumi.Output.secret("{SECRET}"))
"""

SECRET_READ = """
# TEST ONLY: read security's secret output through a StackReference and show it in plain text.
_probe = pulumi.StackReference(
    "probe-security",
    stack_name=f"{pulumi.get_organization()}/security/{stack.settings.environment}",
)
pulumi.export("probe_secret_seen", pulumi.Output.unsecret(_probe.require_output("probe_secret")))
"""

# A passphrase for test stacks only; every stack of a test shares it, as production ones must.
TEST_PASSPHRASE = "engine-tests-only-passphrase"

# Never inherited by the engine under test: they would aim it at real clouds, at another
# backend or secrets source, or at a provider process other than the stand-in.
SCRUBBED_VARIABLES = frozenset(
    {
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "PULUMI_DEBUG_PROVIDERS",
        "PULUMI_ORGANIZATION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "WEBAPP_AWS_ENDPOINT",
        "WEBAPP_SECRETS_PROVIDER",
        FAULTS_FILE_ENV,
    }
)


@dataclass(frozen=True)
class EngineEnv:
    """One isolated world for the engine: home, backend, passphrase, CLI, and one emulated
    AWS account of the session's moto server (`endpoint`), which the shell's AWS keys pick."""

    home: Path
    backend_dir: Path
    bin_dir: Path
    # The tools dir the CLI was installed into (for `commands.Paths(tools_dir=...)`).
    tools_dir: Path
    endpoint: str
    keys: AccountKeys
    faults_file: Path
    env: Mapping[str, str]

    @property
    def backend_url(self) -> str:
        return self.env["PULUMI_BACKEND_URL"]

    @property
    def passphrase(self) -> str:
        return self.env["PULUMI_CONFIG_PASSPHRASE"]

    @property
    def operator(self) -> Operator:
        """The tests' boto3 view of the account (changes behind Pulumi's back, the census)."""
        return Operator(self.endpoint, self.keys)

    @property
    def faults(self) -> Faults:
        return Faults(self.faults_file)

    @property
    def pulumi(self) -> Path:
        return self.bin_dir / "pulumi"

    def apply(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make in-process code (invoke tasks, the orchestrator) see this environment."""
        for name in SCRUBBED_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)

    def run_pulumi(
        self, arguments: Sequence[str], cwd: Path, *, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the CLI directly (for checks and baselines; tests of our tasks go through invoke)."""
        result = subprocess.run(
            [str(self.pulumi), *arguments, "--non-interactive"],
            cwd=cwd,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"pulumi {' '.join(arguments)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result


def engine_environment(
    base: Mapping[str, str],
    *,
    home: Path,
    backend_dir: Path,
    bin_dir: Path,
    endpoint: str,
    keys: AccountKeys,
    faults_file: Path,
    passphrase: str = TEST_PASSPHRASE,
) -> dict[str, str]:
    """The complete environment for the engine under test, built from `base` (os.environ)."""
    env = {name: value for name, value in base.items() if name not in SCRUBBED_VARIABLES}
    env.update(
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=backend_dir.resolve().as_uri(),
        PULUMI_CONFIG_PASSPHRASE=passphrase,
        # Production declares the KMS secrets provider; these file-backend worlds use the
        # passphrase instead (the team tier, test_teams.py, runs the declaration as is).
        WEBAPP_SECRETS_PROVIDER="passphrase",
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
        PATH=os.pathsep.join([str(bin_dir), base.get("PATH", "")]),
        # With --endpoint every part of a run uses these keys: they pick the emulated account.
        AWS_ACCESS_KEY_ID=keys.access_key,
        AWS_SECRET_ACCESS_KEY=keys.secret_key,
        AWS_SESSION_TOKEN=keys.token,
        # What `--endpoint` sets for the programs, for the CLI runs tests make directly.
        WEBAPP_AWS_ENDPOINT=endpoint,
        **{FAULTS_FILE_ENV: str(faults_file)},
    )
    shadow = shutil.which(EXECUTABLE, path=env["PATH"])
    if shadow is not None:
        raise RuntimeError(
            f"{shadow} is on PATH: the engine would load it instead of the test-only AWS "
            "stand-in; remove it from PATH to run the engine tests"
        )
    return env


def make_engine_env(
    home: Path, bin_dir: Path, tools_dir: Path, workdir: Path, endpoint: str
) -> EngineEnv:
    """A fresh backend under `workdir` and a fresh account of the emulator at `endpoint`,
    sharing `home` (with the stand-in) and the CLI."""
    backend_dir = workdir / "backend"
    backend_dir.mkdir()
    keys = new_account(endpoint)
    faults_file = workdir / "standin-faults.json"
    env = engine_environment(
        os.environ,
        home=home,
        backend_dir=backend_dir,
        bin_dir=bin_dir,
        endpoint=endpoint,
        keys=keys,
        faults_file=faults_file,
    )
    return EngineEnv(
        home=home,
        backend_dir=backend_dir,
        bin_dir=bin_dir,
        tools_dir=tools_dir,
        endpoint=endpoint,
        keys=keys,
        faults_file=faults_file,
        env=env,
    )


@contextmanager
def standin_daemon() -> Iterator[Path]:
    """The stand-in's provider daemon (standin_aws/daemon.py) for a session: its socket path.

    It stops when its standard input closes, as moto's server does (tests/moto_server.py).
    """
    from orchestration.commands import REPO_ROOT  # noqa: PLC0415

    # A short path: a Unix socket's path may not exceed about 100 bytes.
    socket_path = Path(tempfile.mkdtemp(prefix="standin-")) / "providers.sock"
    environment = {k: v for k, v in os.environ.items() if k not in SCRUBBED_VARIABLES}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.standin_aws.daemon", str(socket_path)],
        cwd=REPO_ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the stand-in daemon did not start (exit {process.poll()})")
        yield socket_path
    finally:
        stop_by_closing_input(process)
        shutil.rmtree(socket_path.parent, ignore_errors=True)


# ---- a copy of the repository's programs -------------------------------------------------------


def copy_projects(destination: Path) -> Path:
    """projects/ copied under `destination`, the virtualenv path made absolute (it is relative
    to the repo in the committed Pulumi.yaml files)."""
    from orchestration.commands import REPO_ROOT  # noqa: PLC0415

    projects = destination / "projects"
    shutil.copytree(REPO_ROOT / "projects", projects, ignore=shutil.ignore_patterns("__pycache__"))
    venv = str(REPO_ROOT / ".venv")
    for pulumi_yaml in projects.glob("*/Pulumi.yaml"):
        text = pulumi_yaml.read_text()
        assert "virtualenv: ../../.venv" in text
        pulumi_yaml.write_text(text.replace("virtualenv: ../../.venv", f"virtualenv: {venv}"))
    return projects


@dataclass(frozen=True)
class RepoCopy:
    """The programs a test deploys: projects/, shared/ and program/ copied into `root`.

    The engine runs the copy's projects (`projects_dir` for `engine_paths`), and `apply` puts
    the copy's packages first on PYTHONPATH, so the programs (and the policy pack) import the
    copy's `shared` and `program`: a test edits settings or components with `edit`.
    """

    root: Path

    @property
    def projects_dir(self) -> Path:
        return self.root / "projects"

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace the one occurrence of `old` in the copied file `relative`."""
        path = self.root / relative
        text = path.read_text()
        found = text.count(old)
        if found != 1:
            raise AssertionError(
                f"{relative}: expected {old!r} once, found it {found} times; the test's edit no "
                "longer matches the code - update the test"
            )
        path.write_text(text.replace(old, new))

    def apply(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PYTHONPATH", str(self.root))


def copy_repo(destination: Path) -> RepoCopy:
    from orchestration.commands import REPO_ROOT  # noqa: PLC0415

    root = destination / "repo"
    for package in ("shared", "program"):
        shutil.copytree(
            REPO_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    copy_projects(root)
    return RepoCopy(root)


# ---- driving the orchestration entry points (what the invoke tasks call) ---------------------


@dataclass(frozen=True)
class TaskRun:
    """What one `commands.run` call did: exit code or refusal, and what it printed."""

    code: int | None
    out: str
    err: str
    refusal: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.out, self.err, self.refusal or "") if part)


def engine_paths(engine_env: EngineEnv, state_dir: Path, projects_dir: Path | None = None) -> Any:
    """`commands.Paths` for a test: the repo's projects (or a copy), state under `state_dir`."""
    from orchestration import commands  # noqa: PLC0415

    repo = commands.Paths.for_repo(pulumi_home=engine_env.home)
    return commands.Paths(
        projects_dir=projects_dir or repo.projects_dir,
        state_dir=state_dir,
        tools_dir=engine_env.tools_dir,
        policy_pack=repo.policy_pack,
        pulumi_home=engine_env.home,
    )


def run_task(
    engine_env: EngineEnv,
    paths: Any,
    environment: str,
    action: Callable[[Any], Any],
    *,
    project: str | None = None,
    policy: bool | None = None,
    aws: bool = True,
) -> TaskRun:
    """`commands.run` as tasks.py calls it with `--endpoint`, with the test's CLI and paths.

    The caller has applied `engine_env` to os.environ (environ=None, like the tasks), so the
    backend URL and passphrase come from there.
    """
    from orchestration import commands  # noqa: PLC0415
    from orchestration.engine.interface import OrchestrationError  # noqa: PLC0415

    out, err = io.StringIO(), io.StringIO()
    try:
        code = commands.run(
            environment,
            action,
            project=project,
            policy=policy,
            aws=aws,
            endpoint=engine_env.endpoint,
            paths=paths,
            out=out,
            err=err,
            ask=None,
            # Every run goes to the emulator (`endpoint`): no AWS credential check, no AWS.
            checks=commands.Checks(locate_cli=lambda tools, progress: engine_env.bin_dir),
        )
    except OrchestrationError as error:
        return TaskRun(None, out.getvalue(), err.getvalue(), str(error))
    return TaskRun(code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class Tasks:
    """The orchestration entry points on one engine world, state under one directory.

    `engine_env` must already be applied to os.environ (the `tasks` fixture does it).
    """

    engine_env: EngineEnv
    paths: Any

    def run(self, environment: str, action: Callable[[Any], Any], **options: Any) -> TaskRun:
        """`commands.run` as tasks.py calls it (see `run_task`)."""
        return run_task(self.engine_env, self.paths, environment, action, **options)

    def deploy(self, environment: str, project: str | None = None, **options: Any) -> TaskRun:
        """`invoke deploy --env <environment> [--project <project>] --yes`."""
        return self.run(
            environment, lambda o: o.deploy(project, yes=True), project=project, **options
        )

    def on_projects(self, projects_dir: Path) -> Tasks:
        """The same, deploying the programs in `projects_dir` (a changed copy of projects/)."""
        return replace(self, paths=replace(self.paths, projects_dir=projects_dir))
