"""A deployed environment in moto, built with boto3 the way the programs would configure it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from program.components.kms_key import key_policy
from shared.limits import PRODUCTION_LOG_RETENTION_MIN_DAYS
from shared.naming import log_group_name
from shared.settings import EnvironmentSettings
from tests.bucket_policies import tls_only_policy
from tests.verify.moto_environment import Deployed, HealthDouble, launch_template_data
from tests.verify.moto_network import build_network, load_balancer

REGION = "us-west-2"
# moto reports this root device for every instance.
ROOT_DEVICE = "/dev/sda1"
# Development's compute:flowLogRetentionDays.
DEVELOPMENT_RETENTION_DAYS = 14


@pytest.fixture
def health_app(development: EnvironmentSettings) -> Iterator[HealthDouble]:
    """A tiny HTTP server on 127.0.0.1 that plays the app's health endpoint."""
    double = HealthDouble(url="")
    double.body = {"status": "ok", "debug": development.debug, "log_level": development.log_level}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/health"
            payload = json.dumps(double.body if found else {"error": "not found"}).encode()
            self.send_response(double.status if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    double.url = f"http://127.0.0.1:{server.server_port}"
    yield double
    server.shutdown()
    server.server_close()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """moto's AWS with dummy credentials in the environment (never real AWS)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def locked_down_bucket(
    s3: Any, bucket: str, encryption: dict[str, str], policy: dict[str, Any]
) -> None:
    """A bucket configured the way the storage program configures it."""
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": encryption}
    if encryption["SSEAlgorithm"] == "aws:kms":
        rule["BucketKeyEnabled"] = True
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


@pytest.fixture
def production_deployed(
    deployed: Deployed, health_app: HealthDouble, production: EnvironmentSettings
) -> Deployed:
    """`deployed` plus what production adds: access logs into an SSE-S3 log bucket, a private
    fleet's launch template, an internet-facing load balancer logging into the log bucket, and
    flow logs kept a year."""
    s3 = deployed.session.client("s3")
    logs = f"webapp-production-logs-123456789012-{REGION}"
    policy = json.loads(tls_only_policy(logs))
    # First: moto's PutBucketLogging check fails on a statement whose Principal is "*".
    policy["Statement"].insert(
        0,
        {
            "Sid": "AllowServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{logs}/access-logs/*",
            "Condition": {"ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{deployed.bucket}"]}},
        },
    )
    locked_down_bucket(s3, logs, {"SSEAlgorithm": "AES256"}, policy)
    s3.put_bucket_logging(
        Bucket=deployed.bucket,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": "access-logs/"}
        },
    )
    health_app.body = {"status": "ok", "debug": production.debug, "log_level": "warning"}
    deployed.log_bucket = logs
    ec2 = deployed.session.client("ec2")
    deployed.launch_template_id = ec2.create_launch_template(
        LaunchTemplateName="webapp-production-web-20240101000000000000000001",
        LaunchTemplateData=launch_template_data(deployed.key_arn, "required", deployed.group_id),
    )["LaunchTemplate"]["LaunchTemplateId"]
    deployed.load_balancer_arn = load_balancer(
        deployed.session, deployed.network, deployed.group_id, logs
    )
    deployed.session.client("logs").put_retention_policy(
        logGroupName=deployed.network.log_group, retentionInDays=PRODUCTION_LOG_RETENTION_MIN_DAYS
    )
    deployed.outputs["storage"] = {**deployed.outputs["storage"], "log_bucket_name": logs}
    # The Auto Scaling group owns production's instances; verify reads their launch template.
    # The URL stays the health double's: like a custom domain, it does not name the balancer.
    deployed.outputs["compute"] = {
        **deployed.outputs["compute"],
        "instance_ids": [],
        "launch_template_id": deployed.launch_template_id,
    }
    return deployed


@pytest.fixture
def deployed(
    aws: boto3.Session, health_app: HealthDouble, development: EnvironmentSettings
) -> Deployed:
    """A compliant environment: the state `invoke deploy` should leave behind."""
    kms, s3, ec2 = aws.client("kms"), aws.client("s3"), aws.client("ec2")
    # The policy the security program gives the key (moto's account and the region).
    policy = json.dumps(key_policy("123456789012", "aws", REGION))
    key = kms.create_key(Description="webapp development", Policy=policy)["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])

    bucket = f"webapp-development-data-123456789012-{REGION}"
    locked_down_bucket(
        s3,
        bucket,
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
        json.loads(tls_only_policy(bucket)),
    )

    network = build_network(
        aws,
        key["Arn"],
        log_group_name(development, "vpc-flow-logs"),
        DEVELOPMENT_RETENTION_DAYS,
    )
    vpc_id = network.vpc_id
    group_id = ec2.create_security_group(
        GroupName="webapp-development-web", Description="web", VpcId=vpc_id
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
            for port in (80, 443)
        ],
    )
    # An image of our own: listing moto's built-in AMIs costs a second per test.
    image_id = ec2.register_image(Name="al2023-test", RootDeviceName=ROOT_DEVICE)["ImageId"]
    instance = ec2.run_instances(
        ImageId=image_id,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        # Development's one instance is served on its public address (the exemption of
        # ec2-production-private).
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": network.subnet_ids[0],
                "Groups": [group_id],
                "AssociatePublicIpAddress": True,
            }
        ],
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        BlockDeviceMappings=[
            {
                "DeviceName": ROOT_DEVICE,
                "Ebs": {"Encrypted": True, "KmsKeyId": key["Arn"], "VolumeSize": 8},
            }
        ],
    )["Instances"][0]

    return Deployed(
        session=aws,
        key_arn=key["Arn"],
        bucket=bucket,
        instance_id=instance["InstanceId"],
        group_id=group_id,
        network=network,
        outputs={
            "security": {"kms_key_arn": key["Arn"], "kms_key_id": key["KeyId"]},
            # Development has no log bucket: the storage stack exports "".
            "storage": {
                "bucket_name": bucket,
                "bucket_arn": f"arn:aws:s3:::{bucket}",
                "log_bucket_name": "",
            },
            "compute": {
                "url": health_app.url,
                "instance_ids": [instance["InstanceId"]],
                "security_group_id": group_id,
                "vpc_id": vpc_id,
            },
        },
    )
