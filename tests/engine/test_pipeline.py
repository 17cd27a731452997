"""The whole development pipeline on the real engine, through the orchestration entry points.

One deployed development environment (session-wide) serves the read-only checks: order,
StackReferences, outputs, a no-change second deploy and drift. Destructive scenarios live in
the other engine test modules, each with a fresh backend and stand-in cloud.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from shared import aws_types as t
from shared.output_target import OutputTarget
from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, TaskRun, engine_paths, run_task

pytestmark = pytest.mark.engine

ENV = "development"
KEY = t.KMS_KEY
SSE = t.BUCKET_ENCRYPTION
ROLE_POLICY = t.IAM_ROLE_POLICY
BUCKET = t.BUCKET


@dataclass(frozen=True)
class Deployed:
    env: EngineEnv
    paths: Any
    first: TaskRun
    second: TaskRun
    cloud_after_first: dict[str, Any]
    cloud_after_second: dict[str, Any]


def stack_lines(out: str, project: str) -> list[int]:
    """Indexes of the engine output lines streamed for `project`'s stack."""
    prefix = f"[{project}/{ENV}]"
    return [i for i, line in enumerate(out.splitlines()) if line.startswith(prefix)]


def summary_rows(out: str) -> dict[str, str]:
    """Stack name -> its row of the last summary table."""
    table = out.rsplit("\nSummary: ", 1)[1].splitlines()
    return {line.split()[0]: line for line in table if line.startswith("organization/")}


@pytest.fixture(scope="session")
def deployed(shared_engine_env: EngineEnv, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    paths = engine_paths(shared_engine_env, tmp_path_factory.mktemp("shared-state"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        shared_engine_env.apply(monkeypatch)

        def deploy() -> TaskRun:
            return run_task(
                shared_engine_env, paths, ENV, lambda o: o.deploy(None, yes=True), policy=True
            )

        first = deploy()
        after_first = shared_engine_env.cloud.snapshot()
        second = deploy()
        after_second = shared_engine_env.cloud.snapshot()
    return Deployed(shared_engine_env, paths, first, second, after_first, after_second)


def test_deploy_brings_up_security_storage_compute_in_order(deployed: Deployed) -> None:
    assert deployed.first.code == 0, deployed.first.text
    security, storage, compute = (
        stack_lines(deployed.first.out, name) for name in ("security", "storage", "compute")
    )
    assert security
    assert storage
    assert compute
    # Strictly one after the other: each stack's output ends before the next one's begins.
    assert max(security) < min(storage)
    assert max(storage) < min(compute)
    rows = summary_rows(deployed.first.out)
    assert list(rows) == [f"organization/{name}/{ENV}" for name in TOPOLOGY.deploy_order()]
    assert all("succeeded" in row and "create" in row for row in rows.values())


def test_the_shipped_policy_pack_ran_and_passed(deployed: Deployed) -> None:
    for name in TOPOLOGY.names:
        lines = deployed.first.out.splitlines()
        assert any(
            line.startswith(f"[{name}/{ENV}]") and "✅ webapp-security-baseline" in line
            for line in lines
        ), f"no passing policy pack line for {name}"


def test_downstream_stacks_read_upstream_outputs_through_stack_references(
    deployed: Deployed,
) -> None:
    cloud = deployed.env.cloud
    key_arn = cloud.find(KEY, "webapp-development-key").output("arn")
    bucket_arn = cloud.find(BUCKET, "webapp-development-data").output("arn")
    encryption = cloud.find(SSE, "webapp-development-data-encryption")
    rule = encryption.output("rules")[0]["applyServerSideEncryptionByDefault"]
    assert rule == {"kmsMasterKeyId": key_arn, "sseAlgorithm": "aws:kms"}
    policy = json.loads(cloud.find(ROLE_POLICY, "webapp-development-web-app").output("policy"))
    resources = {statement["Resource"] for statement in policy["Statement"]}
    assert f"{bucket_arn}/*" in resources
    assert key_arn in resources


def test_outputs_shows_every_stacks_real_outputs(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed.env.apply(monkeypatch)
    shown = run_task(
        deployed.env,
        deployed.paths,
        ENV,
        lambda o: o.show_outputs(None, json_target=OutputTarget(None)),
        aws=False,  # like `invoke outputs`: reading state reaches no cloud
    )
    assert shown.code == 0, shown.text
    outputs = json.loads(shown.out)
    cloud = deployed.env.cloud
    assert outputs["security"]["kms_key_arn"] == cloud.find(KEY, "webapp-development-key").output(
        "arn"
    )
    assert outputs["storage"]["bucket_arn"] == cloud.find(BUCKET, "webapp-development-data").output(
        "arn"
    )
    assert outputs["compute"]["url"].startswith("http://")
    assert len(outputs["compute"]["instance_ids"]) == 1


def test_a_second_deploy_changes_nothing(deployed: Deployed) -> None:
    assert deployed.second.code == 0, deployed.second.text
    rows = summary_rows(deployed.second.out)
    assert len(rows) == 3
    for row in rows.values():
        assert "succeeded" in row
        assert "same" in row
        assert not any(op in row for op in ("create", "update", "replace", "delete")), row
    assert deployed.cloud_after_second["resources"] == deployed.cloud_after_first["resources"]


def test_drift_is_clean_then_names_the_stack_and_resource_changed_behind_pulumi(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed.env.apply(monkeypatch)

    def drift(project: str | None = None) -> TaskRun:
        return run_task(
            deployed.env, deployed.paths, ENV, lambda o: o.drift(project), project=project
        )

    clean = drift()
    assert clean.code == 0, clean.text
    cloud = deployed.env.cloud
    key = cloud.find(KEY, "webapp-development-key")
    # Key rotation is a property the stand-in's refresh reports (a bucket tag edit is not:
    # see the report of issue 6).
    cloud.change_outputs(KEY, key.id, enableKeyRotation=False)
    try:
        drifted = drift()
    finally:
        cloud.change_outputs(KEY, key.id, enableKeyRotation=True)
    assert drifted.code == 2, drifted.text
    rows = summary_rows(drifted.out)
    assert "drifted" in rows[f"organization/security/{ENV}"]
    assert "clean" in rows[f"organization/storage/{ENV}"]
    assert any(
        line.startswith(f"[security/{ENV}]") and "webapp-development-key" in line and "~" in line
        for line in drifted.out.splitlines()
    ), drifted.out
    assert drift("security").code == 0
