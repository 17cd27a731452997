"""Deliberate breaks of the compute layer's controls and of the rules across services: EC2,
the network (flow logs, log groups, public IPs), load balancers, IAM, tags, region, DEBUG and
protection."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.policy.baseline_parts import OTHER_KEY_ARN
from tests.policy.baseline_stack import Stack, change, change_resource, drop
from tests.policy.break_case import Break


def _ingress(entry: dict[str, object]) -> Callable[[Stack, str], Stack]:
    return lambda stack, env: change(stack, f"webapp-{env}-web", ingress=[entry])


def _instance(**props: object) -> Callable[[Stack, str], Stack]:
    return lambda stack, env: change(stack, f"webapp-{env}-web-a", **props)


def _template_interface(**props: object) -> Callable[[Stack, str], Stack]:
    interface = {"deviceIndex": 0.0, "securityGroups": ["sg-1"], **props}
    return lambda stack, env: change(
        stack, f"webapp-{env}-web-template", networkInterfaces=[interface]
    )


def _access_logs(**props: object) -> Callable[[Stack, str], Stack]:
    def edit(stack: Stack, env: str) -> Stack:
        balancer = next(r for r in stack if r.name == f"webapp-{env}-lb")
        return change(stack, balancer.name, accessLogs={**balancer.get("accessLogs"), **props})

    return edit


def _statement(statement: dict[str, object]) -> Callable[[Stack, str], Stack]:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return lambda stack, env: change(stack, f"webapp-{env}-instance-access", policy=document)


COMPUTE_BREAKS = [
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
        "SSH from anywhere",
        _ingress(
            {"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}
        ),
        "webapp-{env}-web",
    ),
    Break(
        "ec2-no-ssh-rdp-ingress",
        "RDP from anywhere",
        _ingress(
            {"protocol": "tcp", "fromPort": 3389.0, "toPort": 3389.0, "cidrBlocks": ["0.0.0.0/0"]}
        ),
        "webapp-{env}-web",
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
        "ec2-production-private",
        "a production instance with a public IP",
        _instance(associatePublicIpAddress=True),
        "webapp-{env}-web-a",
        environments=("production",),
    ),
    Break(
        "ec2-production-private",
        "a production instance that lets the subnet decide",
        _instance(associatePublicIpAddress=None),
        "webapp-{env}-web-a",
        environments=("production",),
    ),
    Break(
        "ec2-production-private",
        "a production launch template whose interface takes a public IP",
        _template_interface(associatePublicIpAddress="true"),
        "webapp-{env}-web-template",
        environments=("production",),
    ),
    Break(
        "ec2-production-private",
        "a production launch template without network interfaces",
        lambda s, env: change(s, f"webapp-{env}-web-template", networkInterfaces=None),
        "webapp-{env}-web-template",
        environments=("production",),
    ),
    Break(
        "vpc-flow-logs",
        "no flow log",
        lambda s, env: drop(s, f"webapp-{env}-flow-log"),
        "webapp-{env}-network",
    ),
    Break(
        "vpc-flow-logs",
        "the flow log records another VPC",
        lambda s, env: change_resource(
            change(s, f"webapp-{env}-flow-log", vpcId="vpc-0fedcba9876543210"),
            f"webapp-{env}-flow-log",
            dependencies={},
        ),
        "webapp-{env}-network",
    ),
    Break(
        "vpc-flow-logs",
        "rejected traffic only",
        lambda s, env: change(s, f"webapp-{env}-flow-log", trafficType="REJECT"),
        "webapp-{env}-network",
    ),
    Break(
        "cloudwatch-log-group-encrypted",
        "no KMS key",
        lambda s, env: change(s, f"webapp-{env}-flow-logs", kmsKeyId=None),
        "webapp-{env}-flow-logs",
    ),
    Break(
        "cloudwatch-log-group-encrypted",
        "a key other than the security stack's",
        lambda s, env: change(s, f"webapp-{env}-flow-logs", kmsKeyId=OTHER_KEY_ARN),
        "webapp-{env}-flow-logs",
    ),
    Break(
        "cloudwatch-log-group-encrypted",
        "no retention (logs kept forever)",
        lambda s, env: change(s, f"webapp-{env}-flow-logs", retentionInDays=None),
        "webapp-{env}-flow-logs",
    ),
    Break(
        "cloudwatch-log-group-encrypted",
        "30 days in production",
        lambda s, env: change(s, f"webapp-{env}-flow-logs", retentionInDays=30.0),
        "webapp-{env}-flow-logs",
        environments=("production",),
    ),
    Break(
        "elb-access-logs",
        "access logs disabled",
        _access_logs(enabled=False),
        "webapp-{env}-lb",
        environments=("production",),
    ),
    Break(
        "elb-access-logs",
        "no access logs",
        lambda s, env: change(s, f"webapp-{env}-lb", accessLogs=None),
        "webapp-{env}-lb",
        environments=("production",),
    ),
    Break(
        "elb-access-logs",
        "access logs into a bucket other than the log bucket",
        _access_logs(bucket="someone-elses-bucket"),
        "webapp-{env}-lb",
        environments=("production",),
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
