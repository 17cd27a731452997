"""Rules on one resource at a time: shapes the compliant environment does not hold (launch
templates' interfaces, internal load balancers, log group retentions, inline role policies,
security group rules, bucket prefixes), judged next to the provider and the stack references."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from program.policy import UNKNOWN, Resource, StackView, evaluate, rule_by_id
from shared import aws_types as t
from shared.settings import EnvironmentSettings
from tests.policy.baseline_parts import KEY_ARN
from tests.policy.baseline_stack import compliant_stack


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
    "networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": "false"}],
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
                t.LAUNCH_TEMPLATE,
                "lt",
                {**SECURE_TEMPLATE, "networkInterfaces": [UNKNOWN, {"deviceIndex": 1}]},
            ),
            ["ec2-production-private"],
            id="template-second-interface-unset",
        ),
        pytest.param(
            Resource(t.INSTANCE, "i", {"launchTemplate": {"id": "lt-1"}, "userData": "x"}),
            [],
            id="instance-from-template-takes-its-network-settings",
        ),
        pytest.param(
            Resource(t.LOAD_BALANCER, "lb", {"internal": True, "tags": {}}),
            [],
            id="internal-load-balancer-needs-no-access-logs",
        ),
        pytest.param(
            Resource(t.LOAD_BALANCER, "lb", {"loadBalancerType": "gateway"}),
            [],
            id="gateway-load-balancer-has-no-access-logs",
        ),
        pytest.param(
            Resource(t.LOAD_BALANCER, "lb", {"accessLogs": {"enabled": True}}),
            ["elb-access-logs"],
            id="access-logs-without-a-bucket",
        ),
        pytest.param(
            Resource(t.LOG_GROUP, "lg", {"kmsKeyId": KEY_ARN, "retentionInDays": 0}),
            ["cloudwatch-log-group-encrypted"],
            id="log-group-retention-0-never-expires",
        ),
        pytest.param(
            Resource(t.LOG_GROUP, "lg", {"kmsKeyId": KEY_ARN, "retentionInDays": 366}),
            ["cloudwatch-log-group-encrypted"],
            id="log-group-retention-aws-refuses",
        ),
        pytest.param(
            Resource(t.LOG_GROUP, "lg", {"kmsKeyId": KEY_ARN, "retentionInDays": 3653}),
            [],
            id="log-group-ten-years",
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
