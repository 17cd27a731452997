"""The policy pack and the shared passphrase inside the real engine, on copies of the projects.

Both scenarios need a program change no shipped project has (a violating key, a secret export),
so they deploy a copy of projects/ from tmp_path through the same orchestration
(`commands.Paths(projects_dir=...)`); the committed projects are never touched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from engine_support import SECRET, SECRET_EXPORT, SECRET_READ, EngineEnv, engine_paths, run_task

from orchestration.commands import REPO_ROOT

pytestmark = pytest.mark.engine

VIOLATION = """
# TEST ONLY: a key that breaks the mandatory rotation rule.
aws.kms.Key(
    "probe-unrotated",
    enable_key_rotation=False,
    deletion_window_in_days=7,
    opts=provider_opts(provider),
)
"""


def copy_projects(destination: Path) -> Path:
    """projects/ copied, with the virtualenv path made absolute (it is relative to the repo)."""
    projects = destination / "projects"
    shutil.copytree(REPO_ROOT / "projects", projects)
    venv = str(REPO_ROOT / ".venv")
    for pulumi_yaml in projects.glob("*/Pulumi.yaml"):
        text = pulumi_yaml.read_text()
        assert "virtualenv: ../../.venv" in text
        pulumi_yaml.write_text(text.replace("virtualenv: ../../.venv", f"virtualenv: {venv}"))
    return projects


def test_a_mandatory_policy_violation_blocks_the_deploy(
    engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_env.apply(monkeypatch)
    projects = copy_projects(tmp_path)
    with (projects / "security" / "__main__.py").open("a") as program:
        program.write(VIOLATION)
    paths = engine_paths(engine_env, tmp_path / "state", projects)

    blocked = run_task(
        engine_env,
        paths,
        "development",
        lambda o: o.deploy("security", yes=True),
        project="security",
        policy=True,
    )
    assert blocked.code == 1, blocked.text
    assert "kms-key-rotation" in blocked.out
    assert "mandatory" in blocked.out.lower()
    assert "probe-unrotated" in blocked.out
    assert not [r for r in engine_env.cloud.resources() if r.name == "probe-unrotated"]


def test_a_secret_output_is_read_across_stacks_with_the_shared_passphrase(
    engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_env.apply(monkeypatch)
    projects = copy_projects(tmp_path)
    with (projects / "security" / "__main__.py").open("a") as program:
        program.write(SECRET_EXPORT)
    storage = projects / "storage" / "__main__.py"
    storage.write_text(storage.read_text() + SECRET_READ)
    paths = engine_paths(engine_env, tmp_path / "state", projects)

    deployed = run_task(engine_env, paths, "development", lambda o: o.deploy(None, yes=True))
    assert deployed.code == 0, deployed.text
    shown = run_task(
        engine_env, paths, "development", lambda o: o.show_outputs(None, as_json=True), aws=False
    )
    outputs = json.loads(shown.out)
    # Masked where it is a secret, decrypted by the consumer with the one shared passphrase.
    assert outputs["security"]["probe_secret"] == "[secret]"
    assert outputs["storage"]["probe_secret_seen"] == SECRET
    # The producer's state holds it encrypted only.
    security_state = engine_env.backend_dir / ".pulumi" / "stacks" / "security"
    assert SECRET not in (security_state / "development.json").read_text()
