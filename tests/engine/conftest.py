"""Fixtures for tests that run the real Pulumi engine against the TEST-ONLY AWS stand-in.

Everything happens in directories these fixtures create: a PULUMI_HOME holding the stand-in
plugin (never the user's ~/.pulumi) and a file backend; the AWS account is a fresh account of
the session's moto server (`moto_url`, tests/conftest.py), which every run reaches through
`--endpoint`. Nothing talks to AWS.

API for engine tests (types in engine_support.py):
- `pulumi_bin_dir` (session): the CLI bin dir from `orchestration.engine.pulumi_install`
  (`pulumi` + the Python plugin shims), installed or built into the repo's `.tools/` on first
  use, like `invoke setup` (ENGINE_TESTS_TOOLS_DIR points it at another tools dir).
- `standin_providers` (session): the socket of the stand-in's provider daemon
  (`standin_aws/daemon.py`: each provider the engine starts gets a server of its own there,
  without a fresh interpreter importing grpc, pulumi and boto3 each time);
- `standin_home` (session): a PULUMI_HOME with the stand-in installed as
  `plugins/resource-aws-v7.51.1/pulumi-resource-aws`, served by that daemon.
- `engine_env` (per test): an `EngineEnv` with a fresh backend and account.
- `shared_engine_env` (session): one `EngineEnv` for tests that deploy once and look many times.
- `tasks` (per test): `Tasks`, the orchestration entry points (what the invoke tasks call) on
  `engine_env`, already applied to os.environ, with state under the test's tmp_path;
- `aws` (per test): a `standin_client.Standin` served in this process, in a fresh account;
- `project_copy` (per test): a copy of projects/ a test may change (`tasks.on_projects(...)`).
`EngineEnv.env` is the complete environment for a subprocess; `EngineEnv.apply(monkeypatch)` puts
the same variables into `os.environ` for an in-process call (invoke tasks, orchestration API);
`EngineEnv.operator` reads and changes the account with boto3 as an operator would (drift, the
census by tags), `EngineEnv.faults` slows or fails a type; `run_pulumi` runs the CLI directly
for checks and baselines.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.commands import REPO_ROOT, TOOLS_DIR_NAME
from orchestration.engine.pulumi_install import PulumiCliUnavailable, ensure_pulumi_cli
from tests.engine.engine_support import (
    EngineEnv,
    Tasks,
    copy_projects,
    engine_paths,
    make_engine_env,
    standin_daemon,
)
from tests.engine.standin_aws.install import install
from tests.engine.standin_client import Standin, serve_in_process

TOOLS_DIR_ENV = "ENGINE_TESTS_TOOLS_DIR"


@pytest.fixture(scope="session")
def tools_dir() -> Path:
    return Path(os.environ.get(TOOLS_DIR_ENV) or REPO_ROOT / TOOLS_DIR_NAME)


@pytest.fixture(scope="session")
def pulumi_bin_dir(tools_dir: Path) -> Path:
    def progress(message: str) -> None:
        print(f"[pulumi cli] {message}", file=sys.stderr)

    try:
        return ensure_pulumi_cli(tools_dir, progress)
    except PulumiCliUnavailable as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def standin_providers() -> Iterator[Path]:
    """The socket of the session's stand-in provider daemon (`standin_aws/daemon.py`)."""
    with standin_daemon() as socket_path:
        yield socket_path


@pytest.fixture(scope="session")
def standin_home(tmp_path_factory: pytest.TempPathFactory, standin_providers: Path) -> Path:
    home = tmp_path_factory.mktemp("pulumi-home")
    install(home, daemon=standin_providers)
    return home


@pytest.fixture
def engine_env(
    standin_home: Path, pulumi_bin_dir: Path, tools_dir: Path, tmp_path: Path, moto_url: str
) -> EngineEnv:
    return make_engine_env(standin_home, pulumi_bin_dir, tools_dir, tmp_path, moto_url)


@pytest.fixture
def tasks(engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tasks:
    engine_env.apply(monkeypatch)
    return Tasks(engine_env, engine_paths(engine_env, tmp_path / "state"))


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """projects/ copied, with the virtualenv path made absolute (it is relative to the repo)."""
    return copy_projects(tmp_path)


@pytest.fixture(scope="session")
def shared_engine_env(
    standin_home: Path,
    pulumi_bin_dir: Path,
    tools_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
) -> EngineEnv:
    workdir = tmp_path_factory.mktemp("shared-engine")
    return make_engine_env(standin_home, pulumi_bin_dir, tools_dir, workdir, moto_url)


def _committed_stack_files() -> dict[str, str]:
    return {
        str(path.relative_to(REPO_ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((REPO_ROOT / "projects").glob("*/Pulumi*.yaml"))
    }


@pytest.fixture
def aws(moto_url: str) -> Iterator[Standin]:
    """A stand-in served in this process, in a fresh account (the stand-in's fast tests)."""
    with serve_in_process(moto_url) as standin:
        yield standin


@pytest.fixture(scope="session", autouse=True)
def committed_stack_files_unchanged() -> Iterator[None]:
    """The engine works on generated copies: the committed stack files must stay untouched."""
    before = _committed_stack_files()
    yield
    assert _committed_stack_files() == before, "an engine test modified projects/*/Pulumi*.yaml"
