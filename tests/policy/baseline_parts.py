"""Pieces of the compliant environment: the account's keys and bucket names, the key and role
policies, a bucket with every side resource, and the network with its flow log."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from program.policy import Resource
from shared import aws_types as t
from shared.settings import EnvironmentSettings
from tests.bucket_policies import tls_only_policy

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ARN = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/99999999-0000-0000-0000-000000000000"
BUCKET = f"webapp-{{env}}-data-{ACCOUNT}-us-west-2"
LOG_BUCKET = f"webapp-{{env}}-logs-{ACCOUNT}-us-west-2"
VPC_ID = "vpc-0123456789abcdef0"
# What the environments' compute config keeps VPC flow logs for (compute:flowLogRetentionDays).
FLOW_LOG_RETENTION_DAYS = {"development": 14.0, "production": 365.0}


def role_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AppObjects",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                },
                {
                    "Sid": "AppKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": KEY_ARN,
                },
            ],
        }
    )


def key_policy(settings: EnvironmentSettings) -> str:
    """A key policy of the baseline's shape: explicit administration, use only through S3 and
    EC2, grants only for AWS resources (and in production the Auto Scaling role's access)."""
    root = f"arn:aws:iam::{ACCOUNT}:root"
    via = {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.us-west-2.amazonaws.com"}
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": via},
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
    if settings.production:
        role = (
            f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling"
        )
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def bucket_resources(settings: EnvironmentSettings, make: Callable[..., Resource], role: str):  # type: ignore[no-untyped-def]
    env = settings.environment
    name = (LOG_BUCKET if role == "logs" else BUCKET).format(env=env)
    base = f"webapp-{env}-{role}"
    bucket = make(t.BUCKET, base, {"bucket": name}, protect=settings.production, id=name)
    # A log target uses SSE-S3: S3 delivers server access logs into nothing else.
    encryption = (
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        if role == "logs"
        else {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": KEY_ARN,
            },
            "bucketKeyEnabled": True,
        }
    )
    side = [
        make(t.BUCKET_ENCRYPTION, f"{base}-encryption", {"bucket": name, "rules": [encryption]}),
        make(
            t.BUCKET_PUBLIC_ACCESS_BLOCK,
            f"{base}-public-access",
            {
                "bucket": name,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        make(
            t.BUCKET_OWNERSHIP,
            f"{base}-ownership",
            {"bucket": name, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
        ),
        make(t.BUCKET_POLICY, f"{base}-tls", {"bucket": name, "policy": tls_only_policy(name)}),
        make(
            t.BUCKET_VERSIONING,
            f"{base}-versioning",
            {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
        ),
        make(
            t.BUCKET_LIFECYCLE,
            f"{base}-lifecycle",
            {
                "bucket": name,
                "rules": [
                    {
                        "id": "noncurrent",
                        "status": "Enabled",
                        "noncurrentVersionExpiration": {"noncurrentDays": 30.0},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
                    }
                ],
            },
        ),
    ]
    if role != "logs" and settings.production:
        side.append(
            make(
                t.BUCKET_LOGGING,
                f"{base}-access-logs",
                {
                    "bucket": name,
                    "targetBucket": LOG_BUCKET.format(env=env),
                    "targetPrefix": "data/",
                },
            )
        )
    return [bucket, *side]


def network_resources(
    settings: EnvironmentSettings, make: Callable[..., Resource]
) -> list[Resource]:
    """The VPC, its flow log of all traffic and the encrypted log group the flow log writes to."""
    env = settings.environment
    log_group = f"/webapp/{env}/vpc-flow-logs"
    log_group_arn = f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:{log_group}"
    vpc = make(
        t.VPC,
        f"webapp-{env}-network",
        {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True, "enableDnsHostnames": True},
        id=VPC_ID,
    )
    group = make(
        t.LOG_GROUP,
        f"webapp-{env}-flow-logs",
        {
            "name": log_group,
            "arn": log_group_arn,
            "kmsKeyId": KEY_ARN,
            "retentionInDays": FLOW_LOG_RETENTION_DAYS[env],
        },
        id=log_group,
    )
    flow_log = make(
        t.FLOW_LOG,
        f"webapp-{env}-flow-log",
        {
            "vpcId": VPC_ID,
            "trafficType": "ALL",
            "logDestinationType": "cloud-watch-logs",
            "logDestination": log_group_arn,
            "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/webapp-{env}-flow-logs",
        },
    )
    # What the engine records, and a stack policy sees (it is given no ids): where the values
    # came from.
    recorded = {"vpcId": (vpc.urn,), "logDestination": (group.urn,)}
    return [vpc, group, dataclasses.replace(flow_log, dependencies=recorded)]
