"""Verify reads the stacks its engine names: `organization/...` on a file backend, the
organization's own on Pulumi Cloud (through the real AutomationEngine and Orchestrator)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from orchestration.engine.cli_engine import AutomationEngine
from orchestration.engine.interface import OrchestrationError
from orchestration.runner import Orchestrator
from orchestration.state.backend import BACKEND_URL_VAR, ORGANIZATION_VAR, resolve_backend
from orchestration.state.passphrase import PASSPHRASE_VAR
from orchestration.verify.cli import verify_action
from orchestration.verify.runner import needed_outputs
from shared.paths import REPO_ROOT
from shared.settings import EnvironmentSettings
from tests.verify.moto_environment import Deployed
from tests.verify.stack_outputs_cli import StackOutputsCli

CLOUD_URL = "https://api.pulumi.com"


def _orchestrator(
    settings: EnvironmentSettings, environ: dict[str, str], cli: StackOutputsCli, tmp_path: Path
) -> Orchestrator:
    backend = resolve_backend(settings, environ=environ, state_dir=tmp_path / "state")
    engine = AutomationEngine(
        projects_dir=REPO_ROOT / "projects",
        config_dir=tmp_path / "stack-config",
        backend=backend,
        pulumi_command=cli,  # type: ignore[arg-type]
    )
    return Orchestrator(engine, settings, out=io.StringIO())


@pytest.mark.parametrize(
    ("environ", "organization"),
    [
        pytest.param({}, "organization", id="file-backend"),
        pytest.param(
            {BACKEND_URL_VAR: CLOUD_URL, ORGANIZATION_VAR: "acme", PASSPHRASE_VAR: "team"},
            "acme",
            id="pulumi-cloud",
        ),
    ],
)
def test_verify_reads_the_stacks_the_backend_names(
    development: EnvironmentSettings,
    deployed: Deployed,
    tmp_path: Path,
    environ: dict[str, str],
    organization: str,
) -> None:
    projects = list(needed_outputs(development))  # the stacks verification reads
    names = [f"{organization}/{project}/development" for project in projects]
    cli = StackOutputsCli(dict(zip(names, (deployed.outputs[p] for p in projects), strict=True)))
    out = io.StringIO()

    code = verify_action(None, out)(_orchestrator(development, environ, cli, tmp_path))

    assert code == 0, out.getvalue()
    assert set(cli.asked) == set(names)
    assert cli.backends == {environ.get(BACKEND_URL_VAR, (tmp_path / "state").resolve().as_uri())}


def test_on_pulumi_cloud_a_missing_stack_is_named_in_the_organization(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    environ = {BACKEND_URL_VAR: CLOUD_URL, ORGANIZATION_VAR: "acme", PASSPHRASE_VAR: "team"}
    # Deployed under the file backend's organization name: not what Pulumi Cloud would hold.
    projects = list(needed_outputs(development))
    cli = StackOutputsCli({f"organization/{p}/development": {"x": "y"} for p in projects})

    with pytest.raises(OrchestrationError) as caught:
        verify_action(None, io.StringIO())(_orchestrator(development, environ, cli, tmp_path))

    message = str(caught.value)
    for project in projects:
        assert f"stack acme/{project}/development does not exist" in message
    assert "organization/" not in message
