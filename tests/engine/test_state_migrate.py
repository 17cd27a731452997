"""`invoke state migrate`: a team that started on the local default moves to S3 and KMS.

One clone deploys the security project on the local default (`.pulumi-state/`, generated
passphrase), with a secret output; then the team declares S3 + KMS, bootstraps and migrates. The
real CLI does the work; moto's server is S3 and KMS, the stand-in the AWS account.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.engine.emulated_account import Operator, new_account
from tests.engine.engine_support import SECRET, SECRET_EXPORT
from tests.engine.teams_support import (
    ENVIRONMENT,
    Machine,
    clone,
    declare_shared_state,
    drop_tls_policy_for_moto,
    make_origin,
)

pytestmark = pytest.mark.engine

ENV = ENVIRONMENT
STACK = f"organization/security/{ENV}"


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def team(
    pulumi_bin_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
    standin_providers: Path,
) -> tuple[Machine, Any, str]:
    root = tmp_path_factory.mktemp("migrate")
    keys = new_account(moto_url)
    origin = make_origin(root / "origin", declare=False)
    machine = clone(
        origin,
        root / "security-team",
        name="security-team",
        bin_dir=pulumi_bin_dir,
        endpoint=moto_url,
        keys=keys,
        faults_file=root / "standin-faults.json",
        providers=standin_providers,
    )
    machine.append("projects/security/__main__.py", SECRET_EXPORT)
    state_bucket = f"webapp-{ENV}-state-{keys.account_id}-us-west-2"
    return machine, Operator(moto_url, keys).client("s3"), state_bucket


def test_local_stacks_move_to_the_declared_backend_with_history_and_secrets(
    team: tuple[Machine, Any, str],
) -> None:
    machine, s3, state_bucket = team
    deployed = machine.invoke("deploy", "--env", ENV, "--project", "security", "--yes")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    state_dir = machine.root / ".pulumi-state"
    assert (state_dir / "passphrase").is_file()
    local = json.loads(machine.invoke("outputs", "--env", ENV, "--json", "-").stdout)
    source = tree_digest(state_dir / ".pulumi")

    declare_shared_state(machine.root)  # the team's declaration arrives
    bootstrapped = machine.invoke("bootstrap", "--env", ENV)
    assert bootstrapped.returncode == 0, bootstrapped.stderr
    drop_tls_policy_for_moto(s3, state_bucket)
    migrated = machine.invoke("state", "migrate", "--env", ENV, "--to", "declared")

    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert f"verified {STACK}: 4 outputs" in migrated.stdout
    assert "1 past updates" in migrated.stdout
    assert f"Migrated {STACK} to s3://{state_bucket}" in migrated.stdout
    # The source is untouched, byte for byte.
    assert tree_digest(state_dir / ".pulumi") == source
    # The state now lives in the bucket, its secret encrypted with KMS, its history along.
    body = s3.get_object(Bucket=state_bucket, Key=f".pulumi/stacks/security/{ENV}.json")
    checkpoint = body["Body"].read()
    assert SECRET.encode() not in checkpoint
    providers = json.loads(checkpoint)["checkpoint"]["latest"]["secrets_providers"]
    assert providers["type"] == "cloud"
    history = s3.list_objects_v2(Bucket=state_bucket, Prefix=f".pulumi/history/security/{ENV}/")
    assert [item["Key"] for item in history["Contents"] if item["Key"].endswith(".history.json")]
    # Runs now read the declared backend: the same outputs, and a deploy that changes nothing.
    shared = machine.invoke("outputs", "--env", ENV, "--json", "-")
    assert json.loads(shared.stdout) == local
    assert "probe_secret" in local["security"]
    again = machine.invoke("deploy", "--env", ENV, "--project", "security", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "same" in again.stdout

    refused = machine.invoke("state", "migrate", "--env", ENV, "--to", "declared")
    assert refused.returncode == 1
    assert f"already has {STACK}, and no migration of this repository" in refused.stderr
    assert "nothing was migrated" in refused.stderr
