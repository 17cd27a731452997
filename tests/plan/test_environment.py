"""The offline plan of the shipped environments: order, wiring, zero violations, JSON shape."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from orchestration.plan.cli import make_plan, run_plan
from orchestration.plan.environment import (
    EnvironmentPlan,
    PlanError,
    PlannedProgram,
    plan_environment,
    selected_projects,
)
from orchestration.plan.report import UNKNOWN_PLACEHOLDER, jsonable, summary, to_json
from program.policy import UNKNOWN, Resource
from shared import aws_types as t
from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY, ProjectSpec, Topology
from tests.contract_values import contract_exports
from tests.topology_roles import ALL, LEAF, MIDDLE, ROOT


def _resource(plan: EnvironmentPlan, project: str, type_: str) -> list[Resource]:
    stack = next(s for s in plan.stacks if s.project == project)
    return [r for r in stack.resources if r.type == type_]


@pytest.mark.parametrize("plan_name", ["development_plan", "production_plan"])
def test_shipped_environments_plan_without_mandatory_violations(
    plan_name: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(plan_name)

    assert plan.blocking == ()
    # The shipped production config names no certificate: one advisory says which to add.
    advisories = [(v.rule, v.resource.rsplit("::", 1)[-1]) for v in plan.violations]
    expected = [("elb-https-only", "webapp-production-web-lb-http")]
    assert advisories == (expected if plan.environment == "production" else [])
    assert [stack.project for stack in plan.stacks] == list(TOPOLOGY.deploy_order())
    assert [stack.stack for stack in plan.stacks] == [
        f"organization/{project}/{plan.environment}" for project in TOPOLOGY.deploy_order()
    ]


@pytest.mark.parametrize("plan_name", ["development_plan", "production_plan"])
def test_data_buckets_use_the_security_stacks_key_and_the_log_target_sse_s3(
    plan_name: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(plan_name)
    security = next(s for s in plan.stacks if s.project == "security")
    key = _resource(plan, "security", t.KMS_KEY)[0]
    key_arn = security.outputs["kms_key_arn"]

    assert key_arn.startswith("arn:aws:kms:us-west-2:")
    assert key_arn.endswith(f":key/{key.id}")
    configs = _resource(
        plan,
        "storage",
        t.BUCKET_ENCRYPTION,
    )
    assert configs
    for config in configs:
        default = config.get("rules", 0, "applyServerSideEncryptionByDefault")
        if config.name.endswith("-logs-encryption"):
            # The access-log target: SSE-S3, the only encryption S3 delivers access logs into.
            assert default == {"sseAlgorithm": "AES256"}
        else:
            assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}


def test_every_stack_uses_one_explicit_provider_in_the_region(
    development_plan: EnvironmentPlan,
) -> None:
    for stack in development_plan.stacks:
        providers = [r for r in stack.resources if r.type == "pulumi:providers:aws"]
        assert [p.get("region") for p in providers] == ["us-west-2"]
        for resource in stack.resources:
            if resource.type.startswith("aws:"):
                assert resource.provider == providers[0].urn, resource.name


def test_production_protects_its_data(production_plan: EnvironmentPlan) -> None:
    protected = {r.type for s in production_plan.stacks for r in s.resources if r.protect}
    assert {t.KMS_KEY, t.BUCKET} <= protected


def test_json_plan_has_the_documented_shape(
    development_plan: EnvironmentPlan, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    code = run_plan("development", json_path=str(path), quiet=True)
    document = json.loads(path.read_text())

    assert code == 0
    assert set(document) == {"environment", "stacks", "violations"}
    assert document["environment"] == "development"
    assert document["violations"] == []
    for stack in document["stacks"]:
        assert set(stack) == {"project", "stack", "resources", "outputs"}
        for resource in stack["resources"]:
            assert set(resource) == {"type", "name", "urn", "inputs"}
    # The same plan the fixture made: deterministic placeholders, same order.
    assert document == json.loads(json.dumps(to_json(development_plan)))
    providers = [
        r for s in document["stacks"] for r in s["resources"] if r["type"] == "pulumi:providers:aws"
    ]
    assert len(providers) == len(document["stacks"])
    assert all("defaultTags" in p["inputs"] for p in providers)


def test_summary_names_types_names_and_key_properties(development_plan: EnvironmentPlan) -> None:
    text = summary(development_plan)

    assert "organization/storage/development" in text
    assert f"{t.BUCKET_VERSIONING}  webapp-development-data-versioning" in text
    assert "      status: Enabled" in text
    assert "Security rules: no findings." in text


def test_unknown_values_get_a_clear_placeholder() -> None:
    assert jsonable({"a": [UNKNOWN, 1.0, 2.5]}) == {"a": [UNKNOWN_PLACEHOLDER, 1, 2.5]}


def test_selecting_a_project_brings_its_producers() -> None:
    producers = TOPOLOGY.all_producers(MIDDLE)
    assert ROOT in producers
    assert selected_projects(TOPOLOGY, [MIDDLE]) == (*producers, MIDDLE)
    assert selected_projects(TOPOLOGY, [ROOT]) == (ROOT,)
    assert selected_projects(TOPOLOGY, None) == TOPOLOGY.deploy_order()


def test_project_plan_runs_only_what_it_needs() -> None:
    plan = make_plan("development", project=MIDDLE)

    assert [stack.project for stack in plan.stacks] == [*TOPOLOGY.all_producers(MIDDLE), MIDDLE]


def test_unknown_project_or_environment_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="unknown project 'nope'"):
        make_plan("development", project="nope")
    with pytest.raises(PlanError, match="unknown environment 'staging'"):
        make_plan("staging")


def _fake(outputs: dict[str, dict[str, Any]]) -> Any:
    """Test double of the program evaluator: each project exports the given outputs."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def evaluate(project: str, settings: EnvironmentSettings, upstream: Any) -> PlannedProgram:
        seen.append((project, {k: dict(v) for k, v in upstream.items()}))
        return PlannedProgram(resources=[], outputs=outputs.get(project, {}))

    evaluate.seen = seen  # type: ignore[attr-defined]
    return evaluate


def test_producers_outputs_are_fed_to_consumers(development: EnvironmentSettings) -> None:
    outputs = {name: contract_exports(name) for name in ALL}
    evaluate = _fake(outputs)
    plan_environment(development, evaluate)

    # Each program runs in deploy order and gets every output of each producer it reads from.
    assert evaluate.seen == [
        (name, {producer: outputs[producer] for producer in TOPOLOGY.project(name).requires})
        for name in ALL
    ]
    assert evaluate.seen[0] == (ROOT, {})
    assert {ROOT, MIDDLE} <= set(dict(evaluate.seen)[LEAF])


def test_a_producer_missing_an_export_stops_the_plan_before_its_consumers(
    development: EnvironmentSettings,
) -> None:
    exports = TOPOLOGY.project(ROOT).exports
    kept = exports[-1]
    evaluate = _fake({ROOT: {kept: "k"}})

    with pytest.raises(PlanError) as caught:
        plan_environment(development, evaluate)

    message = str(caught.value)
    missing = ", ".join(key for key in exports if key != kept)
    assert f"{ROOT} does not export {missing}" in message
    assert "its consumers read them" in message
    assert [project for project, _ in evaluate.seen] == [ROOT]


@pytest.mark.parametrize(("value", "shown"), [(None, "None"), ("", "''"), ([], "[]")])
def test_a_producer_exporting_nothing_stops_the_plan_naming_the_key(
    development: EnvironmentSettings, value: object, shown: str
) -> None:
    producer = TOPOLOGY.names[0]
    outputs: dict[str, object] = dict.fromkeys(TOPOLOGY.project(producer).exports, "x")
    key = TOPOLOGY.project(producer).exports[0]
    outputs[key] = value
    evaluate = _fake({producer: outputs})

    with pytest.raises(PlanError) as caught:
        plan_environment(development, evaluate)

    assert f"{producer} exports {key}={shown}: its consumers would read nothing" in str(
        caught.value
    )
    assert [project for project, _ in evaluate.seen] == [producer]


def test_an_export_the_topology_lets_be_empty_may_be_empty(
    development: EnvironmentSettings,
) -> None:
    spec = next(
        TOPOLOGY.project(name) for name in TOPOLOGY.names if TOPOLOGY.project(name).may_be_empty
    )
    topology = Topology(
        [ProjectSpec(spec.name, spec.team, "d", spec.exports, {}, spec.may_be_empty)]
    )
    outputs = dict.fromkeys(spec.exports, "x") | dict.fromkeys(spec.may_be_empty, "")

    plan = plan_environment(development, _fake({spec.name: outputs}), topology=topology)

    assert [stack.project for stack in plan.stacks] == [spec.name]


@pytest.mark.parametrize("plan_name", ["development_plan", "production_plan"])
def test_instance_role_policy_names_the_storage_stacks_bucket(
    plan_name: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(plan_name)
    storage = next(s for s in plan.stacks if s.project == "storage")
    bucket_arn = storage.outputs["bucket_arn"]
    (policy,) = [
        p for p in _resource(plan, "compute", t.IAM_ROLE_POLICY) if p.name.endswith("-web-app")
    ]

    resources = {
        resource
        for statement in json.loads(policy.get("policy"))["Statement"]
        for resource in (
            [statement["Resource"]]
            if isinstance(statement["Resource"], str)
            else statement["Resource"]
        )
    }
    assert f"{bucket_arn}/*" in resources or bucket_arn in resources


@pytest.mark.parametrize("plan_name", ["development_plan", "production_plan"])
def test_user_data_carries_the_environments_debug_and_log_level(
    plan_name: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(plan_name)
    from shared.settings import load_settings  # noqa: PLC0415

    settings = load_settings(plan.environment)
    instances = _resource(plan, "compute", t.INSTANCE)
    templates = _resource(plan, "compute", t.LAUNCH_TEMPLATE)
    # Development's one instance; production's launch template (base64 user data).
    assert len(instances + templates) == 1
    for launcher in instances + templates:
        user_data = launcher.get("userData")
        if launcher in templates:
            user_data = base64.b64decode(user_data).decode()
        assert f"DEBUG={str(settings.debug).lower()}\n" in user_data
        assert f"LOG_LEVEL={settings.log_level}\n" in user_data


def _arn_key(topology: Topology = TOPOLOGY) -> tuple[str, str]:
    """(producer, key) of the first export the contract holds to a KMS key ARN."""
    return next(
        (name, key)
        for name in topology.names
        for key in topology.project(name).exports
        if key in KMS_KEY_ARN_EXPORTS
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not-an-arn", "is not a KMS key ARN"),
        ("arn:aws:kms:eu-west-1:111122223333:key/k-1", "is in region eu-west-1, not us-west-2"),
        ("arn:aws-cn:kms:us-west-2:111122223333:key/k-1", "is in partition aws-cn, not aws"),
        ("arn:aws:kms:us-west-2:111122223333:alias/k", "is not a KMS key ARN"),
    ],
)
def test_a_producer_exporting_a_malformed_key_arn_stops_the_plan(
    development: EnvironmentSettings, value: str, problem: str
) -> None:
    producer, key = _arn_key()
    outputs = contract_exports(producer) | {key: value}

    with pytest.raises(PlanError) as caught:
        plan_environment(development, _fake({producer: outputs}))

    assert f"{producer} exports {key}={value!r}: {problem}" in str(caught.value)
