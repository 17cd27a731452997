"""The coverage rule: an AWS type no rule looks at is reported, the reviewed ones and non-AWS
types are not, and the shipped plans raise nothing new."""

from __future__ import annotations

import dataclasses

import pytest

from orchestration.plan.environment import EnvironmentPlan
from program.policy import RULES, Enforcement, Resource, StackView, evaluate, rule_by_id
from program.policy.coverage import REVIEWED_UNCOVERED, covered_types
from program.policy.encryption import SPECIFIC_RULES, key_inputs
from shared import aws_types as t
from shared.settings import load_settings
from tests.policy.encryption_breaks import QUEUE

COVERAGE = "resource-type-covered"
NEW_RULES = (
    COVERAGE,
    "encryption-at-rest-customer-key",
    "encryption-at-rest-customer-key-advisory",
)
PLANS = ("development_plan", "production_plan")


@pytest.mark.parametrize("plan_fixture", PLANS)
def test_the_shipped_plans_raise_none_of_the_new_findings(
    plan_fixture: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(plan_fixture)
    assert plan.stacks
    assert [v.message for v in plan.violations if v.rule in NEW_RULES] == []
    assert plan.blocking == ()
    # No double findings: every shipped type that takes a KMS key has its own rule, which
    # judges the key instead of the generic one.
    keyed = {r.type for s in plan.stacks for r in s.resources if key_inputs(r.type)}
    assert keyed
    assert keyed <= set(SPECIFIC_RULES)


@pytest.mark.parametrize("plan_fixture", PLANS)
def test_a_plan_with_an_aws_type_no_rule_covers_gets_the_advisory(
    plan_fixture: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(plan_fixture)
    settings = load_settings(plan.environment)
    stack = next(s for s in plan.stacks if s.project == "compute")
    provider = next(r for r in stack.resources if r.type == t.AWS_PROVIDER)
    queue = Resource(QUEUE, "jobs", {"name": "jobs"}, provider=provider.urn)
    view = StackView(settings, [*stack.resources, queue], stack.upstream)

    (finding,) = [v for v in evaluate(view) if v.rule == COVERAGE]
    assert finding.resource == queue.urn
    assert f"no security rule looks at type {QUEUE!r}" in finding.message
    assert finding.enforcement is Enforcement.ADVISORY


@pytest.mark.parametrize(
    "type_",
    [
        "webapp:compute:Network",
        t.AWS_PROVIDER,
        t.STACK_REFERENCE,
        t.STACK,
        "pulumi:providers:random",
    ],
)
def test_non_aws_types_are_never_reported(type_: str) -> None:
    rule = rule_by_id(COVERAGE)
    view = StackView(load_settings("development"), [])
    assert rule.violations(Resource(type_, "x"), view) == []


def test_rules_for_every_resource_cover_no_type() -> None:
    everything = [rule for rule in RULES if not rule.resource_types]
    assert {rule.id for rule in everything} >= {"required-tags", *NEW_RULES}
    assert covered_types(everything) == frozenset()
    assert QUEUE not in covered_types(RULES)


def test_the_reviewed_list_holds_aws_types_no_rule_covers_each_with_one_reason() -> None:
    assert not set(REVIEWED_UNCOVERED) & covered_types(RULES), "stale: a rule covers it now"
    for type_, reason in REVIEWED_UNCOVERED.items():
        assert t.is_aws_resource(type_), type_
        assert reason.strip(), type_
        assert "\n" not in reason, type_


def test_a_reviewed_type_is_reported_once_removed_from_the_list() -> None:
    # Coverage is by type: the same resource is reported when neither a rule nor the list
    # covers its type.
    rule = rule_by_id(COVERAGE)
    view = StackView(load_settings("production"), [])
    reviewed = Resource(t.ROUTE_TABLE_ASSOCIATION, "assoc")
    renamed = dataclasses.replace(reviewed, type="aws:ec2/routeTableAssociation:Other")

    assert rule.violations(reviewed, view) == []
    assert [v.rule for v in rule.violations(renamed, view)] == [COVERAGE]
