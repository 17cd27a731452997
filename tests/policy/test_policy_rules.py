"""Every rule passes the compliant environment and catches a deliberate break of its control."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from baseline_stack import (
    KEY_ARN,
    OTHER_KEY_ARN,
    Stack,
    change,
    change_resource,
    compliant_stack,
    drop,
)
from bucket_policies import tls_only_policy

from program.policy import RULES, UNKNOWN, Enforcement, Resource, StackView, evaluate, rule_by_id
from program.policy import aws_types as t
from shared.naming import tags
from shared.settings import EnvironmentSettings, load_settings


@dataclass(frozen=True)
class Break:
    """One deliberate violation: which rule must fire, on which resource, after which edit."""

    rule: str
    what: str
    edit: Callable[[Stack, str], Stack]
    resource: str  # logical name, `{env}` filled in
    environments: tuple[str, ...] = ("development", "production")


def _encryption(bucket_key: bool = True, **default: object) -> Callable[[Stack, str], Stack]:
    by_default = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN, **default}
    rule = {
        "applyServerSideEncryptionByDefault": {k: v for k, v in by_default.items() if v},
        "bucketKeyEnabled": bucket_key,
    }
    return lambda stack, env: change(stack, f"webapp-{env}-data-encryption", rules=[rule])


def _ingress(entry: dict[str, object]) -> Callable[[Stack, str], Stack]:
    return lambda stack, env: change(stack, f"webapp-{env}-web", ingress=[entry])


def _instance(**props: object) -> Callable[[Stack, str], Stack]:
    return lambda stack, env: change(stack, f"webapp-{env}-web-a", **props)


def _key_statement(statement: dict[str, object]) -> Callable[[Stack, str], Stack]:
    """The compliant key policy plus one more Allow statement."""

    def edit(stack: Stack, env: str) -> Stack:
        key = next(r for r in stack if r.name == f"webapp-{env}-key")
        document = json.loads(key.get("policy"))
        document["Statement"].append({"Effect": "Allow", "Resource": "*", **statement})
        return change(stack, f"webapp-{env}-key", policy=json.dumps(document))

    return edit


def _statement(statement: dict[str, object]) -> Callable[[Stack, str], Stack]:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return lambda stack, env: change(stack, f"webapp-{env}-instance-access", policy=document)


BREAKS = [
    Break(
        "s3-bucket-name-valid",
        "capitals and underscore",
        lambda s, env: change(s, f"webapp-{env}-data", bucket="Webapp_Data"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-name-valid",
        "auto-named from a 60-character logical name",
        lambda s, env: change_resource(
            change(s, f"webapp-{env}-data", bucket=None), f"webapp-{env}-data", name="x" * 60
        ),
        "x" * 60,
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "no encryption configuration",
        lambda s, env: drop(s, f"webapp-{env}-data-encryption"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "SSE-S3 instead of SSE-KMS",
        _encryption(sseAlgorithm="AES256", kmsMasterKeyId=None),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "the AWS-managed aws/s3 key",
        _encryption(kmsMasterKeyId="alias/aws/s3"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "a key other than the security stack's",
        _encryption(kmsMasterKeyId=OTHER_KEY_ARN),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "bucket key off",
        _encryption(bucket_key=False),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "SSE-KMS on the log target bucket (no log would be delivered)",
        lambda s, env: change(
            s,
            f"webapp-{env}-logs-encryption",
            rules=[
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": KEY_ARN,
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        ),
        "webapp-{env}-logs",
        environments=("production",),
    ),
    Break(
        "s3-bucket-public-access-block",
        "restrict_public_buckets off",
        lambda s, env: change(s, f"webapp-{env}-data-public-access", restrictPublicBuckets=False),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-public-access-block",
        "no public access block",
        lambda s, env: drop(s, f"webapp-{env}-data-public-access"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-owner-enforced",
        "ACLs left on",
        lambda s, env: change(
            s, f"webapp-{env}-data-ownership", rule={"objectOwnership": "ObjectWriter"}
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-tls-only",
        "no bucket policy",
        lambda s, env: drop(s, f"webapp-{env}-data-tls"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-tls-only",
        "a policy that denies nothing over plain HTTP",
        lambda s, env: change(
            s,
            f"webapp-{env}-data-tls",
            policy=tls_only_policy("b").replace('"Deny"', '"Allow"'),
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-versioning",
        "versioning suspended",
        lambda s, env: change(
            s, f"webapp-{env}-data-versioning", versioningConfiguration={"status": "Suspended"}
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-versioning",
        "no versioning resource",
        lambda s, env: drop(s, f"webapp-{env}-data-versioning"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-lifecycle",
        "no lifecycle configuration",
        lambda s, env: drop(s, f"webapp-{env}-data-lifecycle"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-lifecycle",
        "a disabled rule",
        lambda s, env: change(
            s,
            f"webapp-{env}-data-lifecycle",
            rules=[
                {
                    "id": "x",
                    "status": "Disabled",
                    "noncurrentVersionExpiration": {"noncurrentDays": 30.0},
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
                }
            ],
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-access-logging",
        "no access logging in production",
        lambda s, env: drop(s, f"webapp-{env}-data-access-logs"),
        "webapp-{env}-data",
        environments=("production",),
    ),
    Break(
        "kms-key-rotation",
        "rotation off",
        lambda s, env: change(s, f"webapp-{env}-key", enableKeyRotation=False),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-deletion-window",
        "a 5-day window",
        lambda s, env: change(s, f"webapp-{env}-key", deletionWindowInDays=5.0),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-deletion-window",
        "a 20-day window in production",
        lambda s, env: change(s, f"webapp-{env}-key", deletionWindowInDays=20.0),
        "webapp-{env}-key",
        environments=("production",),
    ),
    Break(
        "kms-key-policy-least-privilege",
        "administrators may create grants for anything (kms:Create*)",
        _key_statement(
            {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": ["kms:Create*"]}
        ),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-policy-least-privilege",
        "a principal may decrypt directly, not through a service",
        _key_statement(
            {"Principal": {"AWS": "arn:aws:iam::123456789012:role/app"}, "Action": "kms:Decrypt"}
        ),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-policy-least-privilege",
        "the key open to everyone",
        _key_statement({"Principal": "*", "Action": "kms:DescribeKey"}),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-policy-least-privilege",
        "no key policy: KMS's default lets IAM grant everything",
        lambda s, env: change(s, f"webapp-{env}-key", policy=None),
        "webapp-{env}-key",
    ),
    Break(
        "ec2-imdsv2-required",
        "IMDSv1 allowed",
        _instance(metadataOptions={"httpTokens": "optional"}),
        "webapp-{env}-web-a",
    ),
    Break(
        "ec2-imdsv2-required",
        "no metadata options",
        _instance(metadataOptions=None),
        "webapp-{env}-web-a",
    ),
    Break(
        "ec2-imdsv2-required",
        "hop limit 2",
        _instance(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2.0}),
        "webapp-{env}-web-a",
    ),
    Break(
        "ec2-root-volume-customer-key",
        "unencrypted root volume",
        _instance(rootBlockDevice={"encrypted": False}),
        "webapp-{env}-web-a",
    ),
    Break(
        "ec2-root-volume-customer-key",
        "encrypted with another key",
        _instance(rootBlockDevice={"encrypted": True, "kmsKeyId": OTHER_KEY_ARN}),
        "webapp-{env}-web-a",
    ),
    Break(
        "ec2-root-volume-customer-key",
        "no root block device",
        _instance(rootBlockDevice=None),
        "webapp-{env}-web-a",
    ),
    Break(
        "ec2-no-ssh-rdp-ingress",
        "SSH from a private range",
        _ingress(
            {"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["10.0.0.0/8"]}
        ),
        "webapp-{env}-web",
    ),
    Break(
        "ec2-no-ssh-rdp-ingress",
        "RDP inside a port range",
        _ingress(
            {"protocol": "tcp", "fromPort": 3000.0, "toPort": 4000.0, "cidrBlocks": ["10.0.0.0/8"]}
        ),
        "webapp-{env}-web",
    ),
    Break(
        "ec2-public-ingress-web-only",
        "8080 from anywhere",
        _ingress(
            {"protocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "cidrBlocks": ["0.0.0.0/0"]}
        ),
        "webapp-{env}-web",
    ),
    Break(
        "ec2-public-ingress-web-only",
        "every protocol from anywhere over IPv6",
        lambda s, env: change(
            s, f"webapp-{env}-https", ipProtocol="-1", fromPort=None, toPort=None
        ),
        "webapp-{env}-https",
    ),
    Break(
        "elb-https-only",
        "production forwards plain HTTP (no certificate configured)",
        lambda s, env: change(
            s,
            f"webapp-{env}-http",
            defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}],
        ),
        "webapp-{env}-http",
        environments=("production",),
    ),
    Break(
        "elb-https-only",
        "an HTTPS listener on ELB's default policy (TLS 1.0)",
        lambda s, env: change(s, f"webapp-{env}-https", sslPolicy=None),
        "webapp-{env}-https",
        environments=("production",),
    ),
    Break(
        "iam-no-wildcards",
        "Action '*'",
        _statement({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}),
        "webapp-{env}-instance-access",
    ),
    Break(
        "iam-no-wildcards",
        "Resource '*'",
        _statement({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}),
        "webapp-{env}-instance-access",
    ),
    Break(
        "iam-no-wildcards",
        "a whole service",
        _statement({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}),
        "webapp-{env}-instance-access",
    ),
    Break(
        "required-tags",
        "provider without default tags, resource without tags",
        lambda s, env: change(s, f"webapp-{env}-aws", defaultTags=None),
        "webapp-{env}-key",
    ),
    Break(
        "required-tags",
        "tagged for another environment",
        lambda s, env: change(s, f"webapp-{env}-key", tags={"Environment": "staging"}),
        "webapp-{env}-key",
    ),
    Break(
        "region-pinned",
        "provider in another region",
        lambda s, env: change(s, f"webapp-{env}-aws", region="eu-west-1"),
        "webapp-{env}-aws",
    ),
    Break(
        "region-pinned",
        "a per-resource region override",
        lambda s, env: change(s, f"webapp-{env}-data", region="eu-west-1"),
        "webapp-{env}-data",
    ),
    Break(
        "region-pinned",
        "the default provider",
        lambda s, env: change_resource(s, f"webapp-{env}-key", provider=None),
        "webapp-{env}-key",
    ),
    Break(
        "production-debug-off",
        "user data sets DEBUG=true",
        _instance(userData="#!/bin/bash\nexport DEBUG=true\n"),
        "webapp-{env}-web-a",
        environments=("production",),
    ),
    Break(
        "production-protect-data",
        "unprotected production bucket",
        lambda s, env: change_resource(s, f"webapp-{env}-data", protect=False),
        "webapp-{env}-data",
        environments=("production",),
    ),
    Break(
        "production-protect-data",
        "unprotected production key",
        lambda s, env: change_resource(s, f"webapp-{env}-key", protect=False),
        "webapp-{env}-key",
        environments=("production",),
    ),
]

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
    """No access logs, a 7-day key window, an unprotected bucket, DEBUG in user data."""
    stack = [r for r in stack if r.type != t.BUCKET_LOGGING]
    stack = change(stack, f"webapp-{env}-key", deletionWindowInDays=7.0)
    stack = change_resource(stack, f"webapp-{env}-data", protect=False)
    return change(stack, f"webapp-{env}-web-a", userData="export DEBUG=true\n")


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
    )
    return change(stack, f"webapp-{env}-instance-access", policy=UNKNOWN)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(_development_relaxations, id="development-allows-what-production-forbids"),
        pytest.param(_own_tags_instead_of_default_tags, id="own-tags-without-default-tags"),
        pytest.param(_values_unknown_until_deployed, id="unknown-values-are-not-judged"),
    ],
)
def test_compliant_edits_raise_no_violation(
    edit: Callable[[Stack, str], Stack], development: EnvironmentSettings
) -> None:
    stack = edit(compliant_stack(development), development.environment)
    assert evaluate(StackView(development, stack)) == []


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
    assert t.tag_support("aws:autoscaling/group:Group") == (True, False)
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


def _alone(settings: EnvironmentSettings, resource: Resource) -> list[str]:
    """Rules fired by `resource` next to the compliant provider and security reference."""
    stack = compliant_stack(settings)
    context = [
        r for r in stack if r.type in ("pulumi:providers:aws", "pulumi:pulumi:StackReference")
    ]
    provided = dataclasses.replace(resource, provider=context[0].urn)
    return sorted({v.rule for v in evaluate(StackView(settings, [*context, provided]))})


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _iam_policy(statement: dict[str, str]) -> Resource:
    return Resource(t.IAM_POLICY, "p", {"policy": json.dumps({"Statement": [statement]})})


SECURE_TEMPLATE = {
    "metadataOptions": {"httpTokens": "required"},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}}
    ],
    "userData": _b64("DEBUG=false\n"),
}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        pytest.param(Resource(t.LAUNCH_TEMPLATE, "lt", SECURE_TEMPLATE), [], id="template-ok"),
        pytest.param(
            Resource(t.LAUNCH_TEMPLATE, "lt", {**SECURE_TEMPLATE, "metadataOptions": {}}),
            ["ec2-imdsv2-required"],
            id="template-imdsv1",
        ),
        pytest.param(
            Resource(
                t.LAUNCH_TEMPLATE,
                "lt",
                {**SECURE_TEMPLATE, "blockDeviceMappings": [{"ebs": {"encrypted": "false"}}]},
            ),
            ["ec2-root-volume-customer-key"],
            id="template-unencrypted",
        ),
        pytest.param(
            Resource(t.LAUNCH_TEMPLATE, "lt", {**SECURE_TEMPLATE, "userData": _b64("DEBUG=1\n")}),
            ["production-debug-off"],
            id="template-debug-base64",
        ),
        pytest.param(
            Resource(
                t.INSTANCE,
                "i",
                {"launchTemplate": {"id": "lt-1"}, "userDataBase64": _b64("APP_DEBUG=yes\n")},
            ),
            ["production-debug-off"],
            id="instance-from-template-debug",
        ),
        pytest.param(
            Resource(
                t.IAM_ROLE,
                "role",
                {
                    "inlinePolicies": [
                        {
                            "name": "admin",
                            "policy": json.dumps(
                                {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
                            ),
                        }
                    ],
                    "tags": {},
                },
            ),
            ["iam-no-wildcards"],
            id="role-inline-admin",
        ),
        pytest.param(
            _iam_policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:x"}),
            ["iam-no-wildcards"],
            id="policy-not-action",
        ),
        pytest.param(
            _iam_policy({"Effect": "Deny", "Action": "*", "Resource": "*"}),
            [],
            id="deny-star-is-fine",
        ),
        pytest.param(
            Resource(
                t.SECURITY_GROUP_RULE,
                "r",
                {
                    "type": "ingress",
                    "protocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrBlocks": ["10.0.0.0/8"],
                },
            ),
            ["ec2-no-ssh-rdp-ingress"],
            id="sg-rule-ssh",
        ),
        pytest.param(
            Resource(
                t.SECURITY_GROUP_RULE,
                "r",
                {
                    "type": "egress",
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                },
            ),
            [],
            id="sg-rule-egress-ignored",
        ),
        pytest.param(
            Resource(
                t.DEFAULT_SECURITY_GROUP,
                "default",
                {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]},
            ),
            ["ec2-no-ssh-rdp-ingress"],
            id="default-sg-all-traffic",
        ),
    ],
)
def test_other_resource_shapes(
    resource: Resource, expected: list[str], production: EnvironmentSettings
) -> None:
    assert _alone(production, resource) == expected


@pytest.mark.parametrize(
    ("props", "broken"),
    [
        ({"bucketPrefix": "webapp-data-"}, False),
        ({"bucketPrefix": "Webapp-Data-"}, True),
        ({"bucketPrefix": "x" * 40}, True),
        ({}, False),  # auto-named from the logical name below
    ],
)
def test_bucket_prefix_and_auto_names(
    props: dict[str, str], broken: bool, development: EnvironmentSettings
) -> None:
    bucket = Resource(t.BUCKET, "webapp-development-data", props)
    rule = rule_by_id("s3-bucket-name-valid")

    assert bool(rule.violations(bucket, StackView(development, [bucket]))) is broken
