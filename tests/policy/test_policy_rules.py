"""Every rule passes the compliant environment and catches a deliberate break of its control."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from program.policy import RULES, UNKNOWN, Enforcement, Resource, StackView, evaluate, rule_by_id
from shared import aws_types as t
from shared.naming import tags
from shared.settings import EnvironmentSettings, load_settings
from tests.bucket_policies import tls_only_policy
from tests.policy.baseline_parts import OTHER_KEY_ARN
from tests.policy.baseline_stack import Stack, change, change_resource, compliant_stack
from tests.policy.breaks import BREAKS, Break

CASES = [
    pytest.param(brk, env, id=f"{brk.rule}:{brk.what}:{env}")
    for brk in BREAKS
    for env in brk.environments
]


def test_compliant_environment_has_no_violations(settings: EnvironmentSettings) -> None:
    assert evaluate(StackView(settings, compliant_stack(settings))) == []


@pytest.mark.parametrize(("brk", "env"), CASES)
def test_break_is_caught_by_its_rule(brk: Break, env: str, request: pytest.FixtureRequest) -> None:
    settings: EnvironmentSettings = request.getfixturevalue(env)
    violations = evaluate(StackView(settings, brk.edit(compliant_stack(settings), env)))

    resource = brk.resource.format(env=env)
    mine = [v for v in violations if v.rule == brk.rule]
    assert mine, f"{brk.rule} missed: {brk.what}; got {[v.rule for v in violations]}"
    assert any(f"] {resource} (" in v.message for v in mine), [v.message for v in mine]
    rule = rule_by_id(brk.rule)
    for violation in mine:
        assert violation.message.startswith(f"[{brk.rule}] ")
        assert violation.message.endswith(f"Fix: {rule.fix}")
        assert violation.enforcement is rule.enforcement


def test_every_rule_can_pass_and_fail() -> None:
    """A rule without a compliant resource to judge, or without a break, proves nothing."""
    broken = {brk.rule for brk in BREAKS}
    assert {rule.id for rule in RULES} <= broken, "rules without a violating fixture"
    for settings_env in ("development", "production"):
        stack = compliant_stack(load_settings(settings_env))
        for rule in RULES:
            assert any(rule.applies_to(resource) for resource in stack), rule.id


def _development_relaxations(stack: Stack, env: str) -> Stack:
    """No access logs, a 7-day key window, an unprotected bucket, DEBUG in user data, a public
    instance and template, logs kept a day."""
    stack = [r for r in stack if r.type != t.BUCKET_LOGGING]
    stack = change(stack, f"webapp-{env}-key", deletionWindowInDays=7.0)
    stack = change_resource(stack, f"webapp-{env}-data", protect=False)
    stack = change(stack, f"webapp-{env}-lb", accessLogs=None)
    stack = change(stack, f"webapp-{env}-flow-logs", retentionInDays=1.0)
    stack = change(stack, f"webapp-{env}-web-template", networkInterfaces=None)
    return change(
        stack,
        f"webapp-{env}-web-a",
        userData="export DEBUG=true\n",
        associatePublicIpAddress=True,
    )


def _own_tags_instead_of_default_tags(stack: Stack, env: str) -> Stack:
    stack = change(stack, f"webapp-{env}-aws", defaultTags=None)
    own = tags(load_settings(env), "storage")
    return [
        dataclasses.replace(r, props={**r.props, "tags": own}) if t.tag_support(r.type)[0] else r
        for r in stack
    ]


def _values_unknown_until_deployed(stack: Stack, env: str) -> Stack:
    stack = change(
        stack,
        f"webapp-{env}-web-a",
        metadataOptions=UNKNOWN,
        rootBlockDevice={"encrypted": True, "kmsKeyId": UNKNOWN},
        associatePublicIpAddress=UNKNOWN,
    )
    stack = change(stack, f"webapp-{env}-flow-logs", kmsKeyId=UNKNOWN, retentionInDays=UNKNOWN)
    stack = change(stack, f"webapp-{env}-flow-log", vpcId=UNKNOWN, trafficType=UNKNOWN)
    stack = change(stack, f"webapp-{env}-lb", accessLogs=UNKNOWN)
    return change(stack, f"webapp-{env}-instance-access", policy=UNKNOWN)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(_development_relaxations, id="development-allows-what-production-forbids"),
        pytest.param(_own_tags_instead_of_default_tags, id="own-tags-without-default-tags"),
    ],
)
def test_compliant_edits_raise_no_violation(
    edit: Callable[[Stack, str], Stack], development: EnvironmentSettings
) -> None:
    stack = edit(compliant_stack(development), development.environment)
    assert evaluate(StackView(development, stack)) == []


def test_unknown_values_are_not_judged(settings: EnvironmentSettings) -> None:
    stack = _values_unknown_until_deployed(compliant_stack(settings), settings.environment)
    assert evaluate(StackView(settings, stack)) == []


def test_a_flow_log_matches_its_vpc_through_dependencies_when_the_id_is_unknown(
    development: EnvironmentSettings,
) -> None:
    env = development.environment
    stack = change(compliant_stack(development), f"webapp-{env}-flow-log", vpcId=UNKNOWN)
    assert evaluate(StackView(development, stack)) == []

    unrecorded = change_resource(stack, f"webapp-{env}-flow-log", dependencies={})
    assert [v.rule for v in evaluate(StackView(development, unrecorded))] == ["vpc-flow-logs"]


def test_production_settings_with_debug_are_caught_even_past_the_loader(
    production: EnvironmentSettings,
) -> None:
    # The settings loader refuses debug in production; a settings object built another way
    # (a test, a future loader) is still caught by the rule.
    forced = dataclasses.replace(production, debug=True)
    violations = evaluate(StackView(forced, compliant_stack(forced)))

    assert {v.rule for v in violations} == {"production-debug-off"}
    assert "settings say debug" in violations[0].message


def test_tag_support_comes_from_pulumi_aws() -> None:
    assert t.tag_support(t.BUCKET) == (True, True)
    assert t.tag_support(t.BUCKET_VERSIONING) == (False, False)
    # Auto Scaling groups take tags but ignore the provider's default tags.
    assert t.tag_support(t.AUTOSCALING_GROUP) == (True, False)
    assert t.tag_support("pulumi:providers:aws") == (False, False)
    assert t.tag_support("aws:nosuchmodule/thing:Thing") == (False, False)


def test_side_resources_match_their_bucket_through_dependencies_when_the_id_is_unknown(
    development: EnvironmentSettings,
) -> None:
    env = development.environment
    stack = compliant_stack(development)
    bucket = next(r for r in stack if r.name == f"webapp-{env}-data")
    side = [r for r in stack if r.get("bucket") == bucket.get("bucket") and r is not bucket]
    unknown = [dataclasses.replace(r, props={**r.props, "bucket": UNKNOWN}) for r in side]
    linked = [dataclasses.replace(r, dependencies={"bucket": (bucket.urn,)}) for r in unknown]
    others = [r for r in stack if r not in side]

    assert evaluate(StackView(development, [*others, *linked])) == []
    orphaned = {v.rule for v in evaluate(StackView(development, [*others, *unknown]))}
    assert {
        "s3-bucket-encryption-customer-key",
        "s3-bucket-public-access-block",
        "s3-bucket-owner-enforced",
        "s3-bucket-tls-only",
        "s3-bucket-versioning",
        "s3-bucket-lifecycle",
    } <= orphaned


def test_a_bucket_whose_policy_admits_the_log_service_is_a_log_target(
    production: EnvironmentSettings,
) -> None:
    # Without the source bucket's logging in the stack (another stack's bucket logs here),
    # the policy alone says this bucket receives server access logs, so it must be SSE-S3.
    env = production.environment
    stack = [r for r in compliant_stack(production) if r.type != t.BUCKET_LOGGING]
    log_bucket = f"webapp-{env}-logs-123456789012-us-west-2"
    admits_logs = json.loads(tls_only_policy(log_bucket))
    admits_logs["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{log_bucket}/*",
        }
    )
    stack = change(stack, f"webapp-{env}-logs-tls", policy=json.dumps(admits_logs))
    # (The data bucket now has no logging: that rule's finding is expected, nothing else.)
    assert {v.rule for v in evaluate(StackView(production, stack))} == {"s3-bucket-access-logging"}
    unpolicied = change(stack, f"webapp-{env}-logs-tls", policy=tls_only_policy(log_bucket))
    findings = evaluate(StackView(production, unpolicied))
    assert [v.resource.rsplit("::", 1)[-1] for v in findings if "AES256" in v.message] == [
        f"webapp-{env}-logs"
    ]


def test_without_the_security_stack_any_customer_key_arn_is_accepted(
    development: EnvironmentSettings,
) -> None:
    stack = [r for r in compliant_stack(development) if r.type != "pulumi:pulumi:StackReference"]
    view = StackView(development, _with_key(stack, development, OTHER_KEY_ARN))
    assert evaluate(view) == []
    aws_managed = StackView(development, _with_key(stack, development, "alias/aws/ebs"))
    assert {v.rule for v in evaluate(aws_managed)} == {"ec2-root-volume-customer-key"}


def _with_key(stack: Stack, settings: EnvironmentSettings, key: str) -> Stack:
    return change(
        stack,
        f"webapp-{settings.environment}-web-a",
        rootBlockDevice={"encrypted": True, "kmsKeyId": key},
    )


def test_violation_json_shape(production: EnvironmentSettings) -> None:
    env = production.environment
    stack = change(compliant_stack(production), f"webapp-{env}-key", enableKeyRotation=False)
    (violation,) = evaluate(StackView(production, stack))

    assert violation.to_json() == {
        "rule": "kms-key-rotation",
        "resource": f"urn:pulumi:{env}::webapp::aws:kms/key:Key::webapp-{env}-key",
        "message": violation.message,
        "enforcement": "mandatory",
    }


def test_rule_ids_are_unique_and_described() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.description.endswith(".")
        assert rule.fix
        assert rule.enforcement in (Enforcement.MANDATORY, Enforcement.ADVISORY)
    with pytest.raises(KeyError, match="unknown rule 'nope'"):
        rule_by_id("nope")


def test_resource_get_walks_nested_properties() -> None:
    resource = Resource("aws:x/y:Y", "r", {"a": [{"b": 1}], "u": UNKNOWN})
    assert resource.get("a", 0, "b") == 1
    assert resource.get("a", 5, "b") is None
    assert resource.get("missing", "b") is None
    assert resource.get("u", "deeper") is UNKNOWN
