"""Test data: a compliant environment as rule input, and edits that break it in one place."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from program.policy import Resource
from shared import aws_types as t
from shared.naming import tags
from shared.settings import EnvironmentSettings
from tests.policy.baseline_parts import (
    ACCOUNT,
    BUCKET,
    KEY_ARN,
    LOG_BUCKET,
    bucket_resources,
    key_policy,
    network_resources,
    role_policy,
)

CERTIFICATE_ARN = (
    f"arn:aws:acm:us-west-2:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"
)
LOAD_BALANCER_ARN = "arn:aws:elasticloadbalancing:lb"

Stack = list[Resource]


def urn(settings: EnvironmentSettings, type_: str, name: str) -> str:
    return f"urn:pulumi:{settings.environment}::webapp::{type_}::{name}"


def compliant_stack(settings: EnvironmentSettings) -> Stack:
    """Every resource type the rules look at, configured as the baseline requires."""
    env = settings.environment
    provider_name = f"webapp-{env}-aws"
    provider_urn = urn(settings, "pulumi:providers:aws", provider_name)

    def make(
        type_: str, name: str, props: dict[str, Any], *, protect: bool = False, id: str = ""
    ) -> Resource:
        return Resource(
            type=type_,
            name=name,
            props=props,
            urn=urn(settings, type_, name),
            protect=protect,
            provider=provider_urn,
            id=id or f"{name}-id",
        )

    provider = Resource(
        type="pulumi:providers:aws",
        name=provider_name,
        props={
            "region": settings.region,
            "defaultTags": json.dumps({"tags": tags(settings, "storage")}),
        },
        urn=provider_urn,
        id="provider-id",
    )
    user_data = f"#!/bin/bash\nexport DEBUG={str(settings.debug).lower()}\nexport LOG_LEVEL=INFO\n"
    data_bucket = BUCKET.format(env=env)
    log_bucket = LOG_BUCKET.format(env=env)
    stack: Stack = [
        provider,
        Resource(
            type="pulumi:pulumi:StackReference",
            name=f"organization/security/{env}",
            props={"name": f"organization/security/{env}", "outputs": {"kms_key_arn": KEY_ARN}},
            urn=urn(settings, "pulumi:pulumi:StackReference", f"organization/security/{env}"),
        ),
        Resource(
            type="pulumi:pulumi:StackReference",
            name=f"organization/storage/{env}",
            props={
                "name": f"organization/storage/{env}",
                "outputs": {"bucket_name": data_bucket, "log_bucket_name": log_bucket},
            },
            urn=urn(settings, "pulumi:pulumi:StackReference", f"organization/storage/{env}"),
        ),
        make(
            t.KMS_KEY,
            f"webapp-{env}-key",
            {
                "enableKeyRotation": True,
                "deletionWindowInDays": 30.0,
                "policy": key_policy(settings),
            },
            protect=settings.production,
        ),
        *bucket_resources(settings, make, "data"),
        *(bucket_resources(settings, make, "logs") if settings.production else []),
        *network_resources(settings, make),
        make(
            t.SECURITY_GROUP,
            f"webapp-{env}-web",
            {
                "description": "web",
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 80.0,
                        "toPort": 80.0,
                        "cidrBlocks": ["0.0.0.0/0"],
                    },
                    {
                        "protocol": "tcp",
                        "fromPort": 443.0,
                        "toPort": 443.0,
                        "cidrBlocks": ["0.0.0.0/0"],
                    },
                    {
                        "protocol": "tcp",
                        "fromPort": 8080.0,
                        "toPort": 8080.0,
                        "cidrBlocks": ["10.0.0.0/16"],
                    },
                ],
                "egress": [
                    {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}
                ],
            },
        ),
        make(
            t.SECURITY_GROUP_INGRESS_RULE,
            f"webapp-{env}-https",
            {
                "securityGroupId": "sg-1",
                "ipProtocol": "tcp",
                "fromPort": 443.0,
                "toPort": 443.0,
                "cidrIpv6": "::/0",
            },
        ),
        make(
            t.IAM_ROLE,
            f"webapp-{env}-instance",
            {
                "assumeRolePolicy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                )
            },
        ),
        make(
            t.IAM_ROLE_POLICY,
            f"webapp-{env}-instance-access",
            {"role": "r", "policy": role_policy(data_bucket)},
        ),
        make(
            t.LOAD_BALANCER,
            f"webapp-{env}-lb",
            {
                "loadBalancerType": "application",
                "internal": False,
                "dropInvalidHeaderFields": True,
                "securityGroups": ["sg-1"],
                "accessLogs": {"bucket": log_bucket, "prefix": "load-balancer", "enabled": True},
            },
            id=LOAD_BALANCER_ARN,
        ),
        make(
            t.LISTENER,
            f"webapp-{env}-https",
            {
                "loadBalancerArn": LOAD_BALANCER_ARN,
                "port": 443.0,
                "protocol": "HTTPS",
                "certificateArn": CERTIFICATE_ARN,
                "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
            },
        ),
        make(
            t.LISTENER,
            f"webapp-{env}-http",
            {
                "loadBalancerArn": LOAD_BALANCER_ARN,
                "port": 80.0,
                "protocol": "HTTP",
                "defaultActions": [
                    {
                        "type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
                    }
                ],
            },
        ),
        make(
            t.INSTANCE,
            f"webapp-{env}-web-a",
            {
                "ami": "ami-0123456789abcdef0",
                "instanceType": "t3.micro",
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1.0},
                "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY_ARN},
                "associatePublicIpAddress": False,
                "userData": user_data,
            },
        ),
        # Production's shape: the web servers launch from a template, with no public IP.
        make(
            t.LAUNCH_TEMPLATE,
            f"webapp-{env}-web-template",
            {
                "imageId": "ami-0123456789abcdef0",
                "instanceType": "t3.small",
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1.0},
                # A launch template's booleans reach the engine as strings.
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN},
                    }
                ],
                "networkInterfaces": [
                    {
                        "deviceIndex": 0.0,
                        "securityGroups": ["sg-1"],
                        "associatePublicIpAddress": "false",
                    }
                ],
                "userData": base64.b64encode(user_data.encode()).decode(),
            },
        ),
    ]
    return stack


def change(stack: Stack, name: str, **props: Any) -> Stack:
    """`stack` with `name`'s properties updated (a value of None removes the property)."""
    assert any(resource.name == name for resource in stack), f"no {name!r} in the fixture"

    def edited(resource: Resource) -> Resource:
        merged = {**resource.props, **props}
        return dataclasses.replace(
            resource, props={key: value for key, value in merged.items() if value is not None}
        )

    return [edited(resource) if resource.name == name else resource for resource in stack]


def change_resource(stack: Stack, target: str, **fields: Any) -> Stack:
    """`stack` with fields of the resource `target` replaced (protect, provider, name, ...)."""
    assert any(resource.name == target for resource in stack), target
    return [
        dataclasses.replace(resource, **fields) if resource.name == target else resource
        for resource in stack
    ]


def drop(stack: Stack, name: str) -> Stack:
    """`stack` without the resource `name`."""
    assert any(resource.name == name for resource in stack), name
    return [resource for resource in stack if resource.name != name]
