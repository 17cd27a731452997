"""The policy pack and the shared passphrase inside the real engine, on copies of the projects.

Both scenarios need a program change no shipped project has (a violating key, a secret export),
so they deploy a copy of projects/ (the `project_copy` fixture) through the same orchestration
(`tasks.on_projects(...)`); the committed projects are never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.output_target import OutputTarget
from tests.engine.engine_support import SECRET, SECRET_EXPORT, SECRET_READ, EngineEnv, Tasks

pytestmark = pytest.mark.engine

VIOLATION = """
# TEST ONLY: a key that breaks the mandatory rotation rule, on the program's provider (`stack`).
import pulumi_aws as aws

aws.kms.Key(
    "probe-unrotated",
    enable_key_rotation=False,
    deletion_window_in_days=7,
    opts=stack.opts,
)
"""


def append(program: Path, code: str) -> None:
    """Add TEST ONLY code at the end of a copied project's program."""
    program.write_text(program.read_text() + code)


def test_a_mandatory_policy_violation_blocks_the_deploy(
    tasks: Tasks, engine_env: EngineEnv, project_copy: Path
) -> None:
    append(project_copy / "security" / "__main__.py", VIOLATION)

    blocked = tasks.on_projects(project_copy).deploy("development", "security", policy=True)
    assert blocked.code == 1, blocked.text
    assert "kms-key-rotation" in blocked.out
    assert "mandatory" in blocked.out.lower()
    assert "probe-unrotated" in blocked.out
    # The violating key was never made: every key in the account rotates.
    kms = engine_env.operator.client("kms")
    for key in engine_env.operator.live_keys():
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_a_secret_output_is_read_across_stacks_with_the_shared_passphrase(
    tasks: Tasks, engine_env: EngineEnv, project_copy: Path
) -> None:
    append(project_copy / "security" / "__main__.py", SECRET_EXPORT)
    append(project_copy / "storage" / "__main__.py", SECRET_READ)
    on_copy = tasks.on_projects(project_copy)

    deployed = on_copy.deploy("development")
    assert deployed.code == 0, deployed.text
    shown = on_copy.run(
        "development", lambda o: o.show_outputs(None, json_target=OutputTarget(None)), aws=False
    )
    outputs = json.loads(shown.out)
    # Masked where it is a secret, decrypted by the consumer with the one shared passphrase.
    assert outputs["security"]["probe_secret"] == "[secret]"
    assert outputs["storage"]["probe_secret_seen"] == SECRET
    # The producer's state holds it encrypted only.
    security_state = engine_env.backend_dir / ".pulumi" / "stacks" / "security"
    assert SECRET not in (security_state / "development.json").read_text()
