"""Fast tests: the TEST-ONLY AWS stand-in refuses what AWS refuses, with AWS's error codes.

Each test drives a stand-in served in this process over gRPC, as the engine does, and checks
one invariant of AWS (or of the real provider) the stand-in models: unique names, immutable
properties, termination protection, the internet gateway race, log delivery, launch templates
and Auto Scaling groups (including the KMS key the service-linked role must be able to use).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from shared import aws_types as t
from tests.engine.standin_aws import ACCOUNT_ID, wire
from tests.engine.standin_aws.autoscaling import registered_targets
from tests.engine.standin_client import Net, Standin, init_failure, network, refused, serve_ready

REGION = "us-west-2"
Diff = provider_pb2.PropertyDiff
VPC = t.VPC
SUBNET = t.SUBNET
IGW = t.INTERNET_GATEWAY
SG = t.SECURITY_GROUP
INSTANCE = t.INSTANCE
LB = t.LOAD_BALANCER
TG = t.TARGET_GROUP
LISTENER = t.LISTENER
BUCKET = t.BUCKET
BUCKET_POLICY = t.BUCKET_POLICY
SSE = t.BUCKET_ENCRYPTION
LOGGING = t.BUCKET_LOGGING
KEY = t.KMS_KEY
LT = t.LAUNCH_TEMPLATE
ASG = t.AUTOSCALING_GROUP
LOG_GROUP = t.LOG_GROUP
ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"
SLR = (
    f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling"
)
ELB_ACCOUNT_US_WEST_2 = "arn:aws:iam::797873946194:root"


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[Standin]:
    with serve_ready(tmp_path) as standin:
        yield standin


def policy(*statements: dict[str, Any]) -> str:
    admin = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [admin, *statements]})


SLR_USE = {
    "Effect": "Allow",
    "Principal": {"AWS": SLR},
    "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ],
    "Resource": "*",
}
SLR_GRANT = {
    "Effect": "Allow",
    "Principal": {"AWS": SLR},
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
}


# -- the provider's error shape ----------------------------------------------------------------


def test_refusals_read_like_the_real_providers(aws: Standin) -> None:
    net = network(aws)
    aws.made(SG, "web", {"name": "web", "description": "d", "vpcId": net.vpc})
    details = refused(
        lambda: aws.create(SG, "web2", {"name": "web", "description": "d", "vpcId": net.vpc})
    )
    assert details.startswith("[test-only AWS stand-in] creating Security Group (web): ")
    assert (
        "operation error EC2: CreateSecurityGroup, https response error StatusCode: 400" in details
    )
    assert details.endswith(
        f"api error InvalidGroup.Duplicate: The security group 'web' already exists for VPC "
        f"'{net.vpc}'"
    )
    # Deterministic: the same refusal twice reads the same, request id included.
    again = refused(
        lambda: aws.create(SG, "web2", {"name": "web", "description": "d", "vpcId": net.vpc})
    )
    assert again == details


# -- unique names ------------------------------------------------------------------------------


def test_bucket_names_are_unique_across_all_accounts(aws: Standin) -> None:
    aws.made(BUCKET, "data", {"bucket": "webapp-data"})
    mine = refused(lambda: aws.create(BUCKET, "again", {"bucket": "webapp-data"}))
    assert "operation error S3: CreateBucket, https response error StatusCode: 409" in mine
    assert "HostID: " in mine
    assert mine.endswith(
        "BucketAlreadyOwnedByYou: Your previous request to create the named bucket succeeded "
        "and you already own it."
    )
    aws.cloud.claim_bucket_name("someone-elses")
    theirs = refused(lambda: aws.create(BUCKET, "theirs", {"bucket": "someone-elses"}))
    assert "BucketAlreadyExists: The requested bucket name is not available." in theirs
    assert [bucket.id for bucket in aws.cloud.resources(BUCKET)] == ["webapp-data"]


def test_security_group_names_are_unique_per_vpc(aws: Standin) -> None:
    first, second = network(aws, "one", "10.1.0.0/16"), network(aws, "two", "10.2.0.0/16")
    aws.made(SG, "web", {"name": "web", "description": "d", "vpcId": first.vpc})
    aws.made(SG, "web-elsewhere", {"name": "web", "description": "d", "vpcId": second.vpc})
    assert "InvalidGroup.Duplicate" in refused(
        lambda: aws.create(SG, "web-2", {"name": "web", "description": "d", "vpcId": first.vpc})
    )
    # A name prefix makes a fresh name each time: a replacement can coexist with the old group.
    _, a = aws.made(SG, "p1", {"namePrefix": "web-", "description": "d", "vpcId": first.vpc})
    _, b = aws.made(SG, "p2", {"namePrefix": "web-", "description": "d", "vpcId": first.vpc})
    assert a["name"].startswith("web-")
    assert len(a["name"]) == len("web-") + 26
    assert a["name"] != b["name"]


def test_target_group_names_are_unique_per_region_unless_identical(aws: Standin) -> None:
    net = network(aws)
    settings = {"name": "web-80", "port": 80, "protocol": "HTTP", "vpcId": net.vpc}
    first, _ = aws.made(TG, "web", settings)
    # ELBv2's create is idempotent: the same name and settings return the same group.
    assert aws.made(TG, "web-again", settings)[0] == first
    details = refused(lambda: aws.create(TG, "web-8080", {**settings, "port": 8080}))
    assert "creating ELBv2 Target Group (web-80): operation error Elastic Load Balancing v2" in (
        details
    )
    assert details.endswith(
        "DuplicateTargetGroupName: A target group with the same name 'web-80' exists, but with "
        "different settings"
    )


def test_load_balancer_names_are_unique_per_region(aws: Standin) -> None:
    net = network(aws)
    balancer = {"name": "web", "subnets": net.subnets, "loadBalancerType": "application"}
    aws.made(LB, "web", balancer)
    # The provider looks the name up itself before it asks AWS.
    assert refused(lambda: aws.create(LB, "web-2", balancer)).endswith(
        "ELBv2 Load Balancer (web) already exists"
    )
    network_lb = {**balancer, "loadBalancerType": "network"}
    assert "DuplicateLoadBalancerName: A load balancer with the same name 'web' exists" in (
        refused(lambda: aws.create(LB, "web-nlb", network_lb))
    )


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (LT, {"name": "web"}, "InvalidLaunchTemplateName.AlreadyExistsException"),
        (LOG_GROUP, {"name": "/webapp/app"}, "ResourceAlreadyExistsException"),
        (t.IAM_ROLE, {"name": "web", "assumeRolePolicy": "{}"}, "EntityAlreadyExists"),
        (
            t.KMS_ALIAS,
            {"name": "alias/web", "targetKeyId": "k"},
            "AlreadyExistsException",
        ),
    ],
)
def test_other_names_aws_keeps_unique(
    aws: Standin, type_: str, props: dict[str, Any], expected: str
) -> None:
    aws.made(type_, "first", props)
    assert f"api error {expected}: " in refused(lambda: aws.create(type_, "second", props))


def test_autoscaling_group_names_are_unique(aws: Standin) -> None:
    net = network(aws)
    template, _ = aws.made(LT, "web", template_inputs())
    group = group_inputs(net, template, desired=1)
    aws.made(ASG, "web", {**group, "name": "web"})
    assert "api error AlreadyExists: AutoScalingGroup by this name already exists" in refused(
        lambda: aws.create(ASG, "web-2", {**group, "name": "web"})
    )


# -- immutable properties ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "olds", "news", "replaces"),
    [
        (SG, {"description": "a"}, {"description": "b"}, ["description"]),
        (SG, {"name": "a"}, {"namePrefix": "a-"}, ["name", "namePrefix"]),
        (SG, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, ["vpcId"]),
        (SG, {"tags": {"a": "1"}}, {"tags": {"a": "2"}}, []),
        (TG, {"port": 80}, {"port": 8080}, ["port"]),
        (TG, {"protocol": "HTTP"}, {"protocol": "HTTPS"}, ["protocol"]),
        (TG, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, ["vpcId"]),
        (TG, {"deregistrationDelay": 30}, {"deregistrationDelay": 10}, []),
        (SUBNET, {"cidrBlock": "10.0.0.0/24"}, {"cidrBlock": "10.0.1.0/24"}, ["cidrBlock"]),
        (SUBNET, {"availabilityZone": "a"}, {"availabilityZone": "b"}, ["availabilityZone"]),
        (SUBNET, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, ["vpcId"]),
        (LB, {"internal": False}, {"internal": True}, ["internal"]),
        (LB, {"subnets": ["s-1", "s-2"]}, {"subnets": ["s-3", "s-4"]}, []),
        (LB, {"namePrefix": "web-"}, {"namePrefix": "app-"}, ["namePrefix"]),
        (INSTANCE, {"associatePublicIpAddress": True}, {"associatePublicIpAddress": False}, None),
        (LT, {"imageId": "ami-1"}, {"imageId": "ami-2"}, []),
        (LT, {"name": "a"}, {"name": "b"}, ["name"]),
        (ASG, {"launchTemplate": {"version": "1"}}, {"launchTemplate": {"version": "2"}}, []),
        (ASG, {"name": "a"}, {"name": "b"}, ["name"]),
        (IGW, {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, []),
        (t.VPC_ENDPOINT, {"serviceName": "a"}, {"serviceName": "b"}, None),
        (t.FLOW_LOG, {"logDestination": "a"}, {"logDestination": "b"}, None),
        (LOG_GROUP, {"kmsKeyId": "a"}, {"kmsKeyId": "b"}, []),
        (LISTENER, {"loadBalancerArn": "a"}, {"loadBalancerArn": "b"}, ["loadBalancerArn"]),
    ],
)
def test_immutable_properties_force_a_replacement(
    aws: Standin,
    type_: str,
    olds: dict[str, Any],
    news: dict[str, Any],
    replaces: list[str] | None,
) -> None:
    response = aws.diff(type_, olds, news)
    expected = sorted(set(olds) | set(news)) if replaces is None else replaces
    assert sorted(response.replaces) == sorted(expected)


# -- termination protection --------------------------------------------------------------------


def test_a_protected_instance_cannot_be_terminated(aws: Standin) -> None:
    instance, outputs = aws.made(INSTANCE, "web", {"ami": "ami-1", "disableApiTermination": True})
    details = refused(lambda: aws.delete(INSTANCE, "web", instance, outputs))
    assert details.endswith(
        f"terminating EC2 Instance ({instance}): operation error EC2: TerminateInstances, https "
        f"response error StatusCode: 400, RequestID: {details.split('RequestID: ')[1][:36]}, "
        f"api error OperationNotPermitted: The instance '{instance}' may not be terminated. "
        "Modify its 'disableApiTermination' instance attribute and try again."
    )
    assert aws.cloud.get(INSTANCE, instance) is not None
    # forceDestroy in the program but not yet applied (the same update as the replacement):
    # the state the provider holds does not have it, so the protection still holds.
    assert "OperationNotPermitted" in refused(
        lambda: aws.delete(INSTANCE, "web", instance, outputs)
    )


def test_force_destroy_applied_first_lets_the_provider_terminate(aws: Standin) -> None:
    inputs = {"ami": "ami-1", "disableApiTermination": True}
    instance, outputs = aws.made(INSTANCE, "web", inputs)
    updated = aws.update(INSTANCE, "web", instance, outputs, {**inputs, "forceDestroy": True})
    aws.delete(INSTANCE, "web", instance, wire.to_props(updated.properties))
    assert aws.cloud.get(INSTANCE, instance) is None


def test_lifting_termination_protection_lets_the_instance_go(aws: Standin) -> None:
    instance, outputs = aws.made(INSTANCE, "web", {"ami": "ami-1", "disableApiTermination": True})
    updated = aws.update(INSTANCE, "web", instance, outputs, {"ami": "ami-1"})
    aws.delete(INSTANCE, "web", instance, wire.to_props(updated.properties))
    assert aws.cloud.resources(INSTANCE) == []


# -- the internet gateway attaches asynchronously ------------------------------------------------


def test_an_internet_facing_load_balancer_needs_the_gateway_attached_now(aws: Standin) -> None:
    net = network(aws, gateway=False)
    aws.cloud.set_gateway_attach_seconds(1.0)
    gateway = threading.Thread(target=lambda: aws.create(IGW, "igw", {"vpcId": net.vpc}))
    started = time.monotonic()
    gateway.start()
    time.sleep(0.2)
    balancer = {"subnets": net.subnets, "loadBalancerType": "application"}
    details = refused(lambda: aws.create(LB, "early", balancer))
    assert details.endswith(f"api error InvalidSubnet: VPC {net.vpc} has no internet gateway")
    assert "creating ELBv2 application Load Balancer (early-" in details
    [attaching] = aws.cloud.resources(IGW)
    assert attaching.facts["attachment"] == {"vpcId": net.vpc, "state": "attaching"}
    # An internal balancer needs no gateway.
    aws.made(LB, "internal", {**balancer, "internal": True})
    gateway.join(10)
    # The provider's create returned only once the attachment was available.
    assert time.monotonic() - started >= 1.0
    assert aws.cloud.get(IGW, attaching.id).facts["attachment"]["state"] == "available"  # type: ignore[union-attr]
    _, outputs = aws.made(LB, "late", balancer)
    assert outputs["vpcId"] == net.vpc


def test_instances_note_whether_they_launched_with_internet(aws: Standin) -> None:
    offline = network(aws, "offline", "10.3.0.0/16", gateway=False)
    online = network(aws, "online", "10.4.0.0/16")
    aws.made(INSTANCE, "early", {"ami": "ami-1", "subnetId": offline.subnets[0]})
    aws.made(INSTANCE, "ready", {"ami": "ami-1", "subnetId": online.subnets[1]})
    assert aws.cloud.find(INSTANCE, "early").facts["internetAtLaunch"] is False
    ready = aws.cloud.find(INSTANCE, "ready")
    assert ready.facts["internetAtLaunch"] is True
    assert ready.output("availabilityZone") == f"{REGION}b"


# -- load balancer placement ---------------------------------------------------------------------


def test_load_balancer_subnets_must_be_one_vpc_and_two_zones(aws: Standin) -> None:
    one, two = network(aws, "one", "10.1.0.0/16"), network(aws, "two", "10.2.0.0/16")
    mixed = {"subnets": [one.subnets[0], two.subnets[1]]}
    assert "InvalidConfigurationRequest" in refused(lambda: aws.create(LB, "mixed", mixed))
    single = {"subnets": [one.subnets[0]]}
    assert "At least two subnets in two different Availability Zones" in refused(
        lambda: aws.create(LB, "single", single)
    )
    ghost = {"subnets": ["subnet-0000000000000000a", one.subnets[0]]}
    assert "SubnetNotFound: The subnet ID 'subnet-0000000000000000a' is not valid" in refused(
        lambda: aws.create(LB, "ghost", ghost)
    )
    balancer, outputs = aws.made(LB, "web", {"subnets": one.subnets})
    # Moving the balancer's subnets to another VPC is an update AWS refuses.
    details = refused(lambda: aws.update(LB, "web", balancer, outputs, {"subnets": two.subnets}))
    assert f"setting ELBv2 Load Balancer ({balancer}) subnets" in details
    assert "InvalidConfigurationRequest" in details


def test_deletion_protection_keeps_a_load_balancer(aws: Standin) -> None:
    net = network(aws)
    balancer, outputs = aws.made(
        LB, "web", {"subnets": net.subnets, "enableDeletionProtection": True}
    )
    assert "OperationNotPermitted" in refused(lambda: aws.delete(LB, "web", balancer, outputs))


# -- listeners ---------------------------------------------------------------------------------


@pytest.fixture
def balancer(aws: Standin) -> tuple[Net, str, str]:
    """A network, a load balancer in it and a target group: (net, balancer ARN, group ARN)."""
    net = network(aws)
    lb, _ = aws.made(LB, "web", {"subnets": net.subnets})
    group, _ = aws.made(TG, "web", {"port": 80, "protocol": "HTTP", "vpcId": net.vpc})
    return net, lb, group


def forward(group: str) -> list[dict[str, Any]]:
    return [{"type": "forward", "targetGroupArn": group}]


def test_https_listeners_need_a_certificate_of_the_region(
    aws: Standin, balancer: tuple[Net, str, str]
) -> None:
    _, lb, group = balancer
    https = {
        "loadBalancerArn": lb,
        "port": 443,
        "protocol": "HTTPS",
        "defaultActions": forward(group),
    }
    assert "A certificate must be specified for HTTPS listeners" in refused(
        lambda: aws.create(LISTENER, "https", https)
    )
    elsewhere = aws.cloud.add_certificate("app.example.com", "us-east-1")
    assert f"CertificateNotFound: Certificate '{elsewhere}' not found" in refused(
        lambda: aws.create(LISTENER, "https", {**https, "certificateArn": elsewhere})
    )
    certificate = aws.cloud.add_certificate("app.example.com", REGION)
    assert "SSLPolicyNotFound" in refused(
        lambda: aws.create(
            LISTENER, "https", {**https, "certificateArn": certificate, "sslPolicy": "Modern"}
        )
    )
    _, outputs = aws.made(LISTENER, "https", {**https, "certificateArn": certificate})
    assert outputs["sslPolicy"] == "ELBSecurityPolicy-2016-08"
    policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert "DuplicateListener: A listener already exists on this port" in refused(
        lambda: aws.create(
            LISTENER, "https-2", {**https, "certificateArn": certificate, "sslPolicy": policy}
        )
    )


def test_a_redirect_listener_answers_301_or_302(
    aws: Standin, balancer: tuple[Net, str, str]
) -> None:
    _, lb, _ = balancer

    def redirect(code: str) -> dict[str, Any]:
        action = {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": code},
        }
        return {"loadBalancerArn": lb, "port": 80, "protocol": "HTTP", "defaultActions": [action]}

    assert "ValidationError" in refused(lambda: aws.create(LISTENER, "http", redirect("HTTP_307")))
    _, outputs = aws.made(LISTENER, "http", redirect("HTTP_301"))
    assert "sslPolicy" not in outputs


def test_listeners_forward_only_to_existing_groups_of_their_vpc(
    aws: Standin, balancer: tuple[Net, str, str]
) -> None:
    _, lb, group = balancer
    other = network(aws, "other", "10.9.0.0/16")
    stranger, _ = aws.made(TG, "other", {"port": 80, "protocol": "HTTP", "vpcId": other.vpc})
    http = {"loadBalancerArn": lb, "port": 80, "protocol": "HTTP"}
    assert f"Target group '{stranger}' is in a different VPC than load balancer '{lb}'" in refused(
        lambda: aws.create(LISTENER, "http", {**http, "defaultActions": forward(stranger)})
    )
    missing = group.replace("/web", "/gone")
    assert "TargetGroupNotFound" in refused(
        lambda: aws.create(LISTENER, "http", {**http, "defaultActions": forward(missing)})
    )
    aws.made(LISTENER, "http", {**http, "defaultActions": forward(group)})
    state = wire.to_props(aws.read(TG, "web", group).properties)
    assert f"ResourceInUse: Target group '{group}' is currently in use by a listener" in refused(
        lambda: aws.delete(TG, "web", group, state)
    )


# -- dependencies ------------------------------------------------------------------------------


def test_a_used_security_group_or_subnet_cannot_be_deleted(aws: Standin) -> None:
    net = network(aws)
    group, group_outputs = aws.made(
        SG, "web", {"name": "web", "description": "d", "vpcId": net.vpc}
    )
    instance, instance_outputs = aws.made(
        INSTANCE,
        "web",
        {"ami": "ami-1", "subnetId": net.subnets[0], "vpcSecurityGroupIds": [group]},
    )
    assert f"DependencyViolation: resource {group} has a dependent object" in refused(
        lambda: aws.delete(SG, "web", group, group_outputs)
    )
    assert "DependencyViolation: The subnet" in refused(
        lambda: aws.delete(SUBNET, "net-a", net.subnets[0], {})
    )
    aws.delete(INSTANCE, "web", instance, instance_outputs)
    aws.delete(SG, "web", group, group_outputs)
    aws.delete(SUBNET, "net-a", net.subnets[0], {})
    assert aws.cloud.get(SG, group) is None


def test_network_references_must_exist_and_agree(aws: Standin) -> None:
    one, two = network(aws, "one", "10.1.0.0/16"), network(aws, "two", "10.2.0.0/16")
    assert "InvalidVpcID.NotFound: The vpc ID 'vpc-0000' does not exist" in refused(
        lambda: aws.create(SG, "orphan", {"name": "x", "description": "d", "vpcId": "vpc-0000"})
    )
    # A replacement subnet with the same CIDR collides with the one it replaces.
    assert "InvalidSubnet.Conflict: The CIDR '10.1.0.0/24' conflicts with another subnet" in (
        refused(
            lambda: aws.create(
                SUBNET,
                "one-a-replacement",
                {"vpcId": one.vpc, "availabilityZone": f"{REGION}c", "cidrBlock": "10.1.0.0/24"},
            )
        )
    )
    group, _ = aws.made(SG, "two-web", {"name": "web", "description": "d", "vpcId": two.vpc})
    assert "belong to different networks" in refused(
        lambda: aws.create(
            INSTANCE,
            "x",
            {"ami": "ami-1", "subnetId": one.subnets[0], "vpcSecurityGroupIds": [group]},
        )
    )


# -- access log delivery -----------------------------------------------------------------------


def encrypt(aws: Standin, bucket: str, algorithm: str, key: str | None = None) -> None:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key:
        default["kmsMasterKeyId"] = key
    aws.made(
        SSE,
        f"{bucket}-encryption",
        {"bucket": bucket, "rules": [{"applyServerSideEncryptionByDefault": default}]},
    )


def allow_writes(aws: Standin, bucket: str, principal: dict[str, str]) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    aws.made(BUCKET_POLICY, f"{bucket}-policy", {"bucket": bucket, "policy": document})


def test_server_access_logs_into_an_sse_kms_bucket_are_not_delivered(aws: Standin) -> None:
    assert "InvalidTargetBucketForLogging: The target bucket for logging does not exist" in (
        refused(lambda: aws.create(LOGGING, "data", {"bucket": "data", "targetBucket": "logs"}))
    )
    for name in ("data", "logs"):
        aws.made(BUCKET, name, {"bucket": name})
    allow_writes(aws, "logs", {"Service": "logging.s3.amazonaws.com"})
    encrypt(aws, "logs", "aws:kms", "arn:aws:kms:us-west-2:123456789012:key/k")
    # AWS accepts the configuration; the logs just never arrive.
    aws.made(
        LOGGING, "data-logging", {"bucket": "data", "targetBucket": "logs", "targetPrefix": "a/"}
    )
    [delivery] = aws.cloud.log_deliveries()
    assert delivery["source"] == "data-logging"
    assert delivery["target"] == "logs"
    assert delivery["delivering"] is False
    assert "aws:kms" in delivery["reason"]
    assert "SSE-S3 (AES256)" in delivery["reason"]
    # Re-encrypting the target with SSE-S3 makes delivery work, without touching the logging.
    encryption = aws.cloud.find(SSE, "logs-encryption")
    aws.cloud.change_outputs(
        SSE,
        encryption.id,
        rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    )
    aws.made(BUCKET, "poke", {"bucket": "poke"})  # any change recomputes the facts
    assert aws.cloud.log_deliveries()[0]["delivering"] is True


def test_server_access_logs_need_the_log_service_allowed(aws: Standin) -> None:
    for name in ("data", "logs"):
        aws.made(BUCKET, name, {"bucket": name})
    aws.made(LOGGING, "data-logging", {"bucket": "data", "targetBucket": "logs"})
    [delivery] = aws.cloud.log_deliveries()
    assert delivery["delivering"] is False
    assert "logging.s3.amazonaws.com" in delivery["reason"]


def test_the_log_service_is_allowed_only_for_the_named_source_buckets(aws: Standin) -> None:
    for name in ("data", "other", "logs"):
        aws.made(BUCKET, name, {"bucket": name})
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::logs/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": "arn:aws:s3:::data"},
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        },
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    aws.made(BUCKET_POLICY, "logs-policy", {"bucket": "logs", "policy": document})
    aws.made(LOGGING, "data-logging", {"bucket": "data", "targetBucket": "logs"})
    aws.made(LOGGING, "other-logging", {"bucket": "other", "targetBucket": "logs"})
    delivering = {item["source"]: item["delivering"] for item in aws.cloud.log_deliveries()}
    assert delivering == {"data-logging": True, "other-logging": False}


def test_load_balancer_access_logs_need_the_elb_account_and_sse_s3(aws: Standin) -> None:
    net = network(aws)
    aws.made(BUCKET, "lb-logs", {"bucket": "lb-logs"})
    logs = {"enabled": True, "bucket": "lb-logs", "prefix": "alb"}
    with pytest.raises(grpc.RpcError) as raised:
        aws.create(LB, "web", {"subnets": net.subnets, "accessLogs": logs})
    assert "Access Denied for bucket: lb-logs. Please check S3bucket permission" in (
        raised.value.details()
    )
    # The balancer exists by then: the engine is told so, to keep it in the state.
    failed = init_failure(raised.value)
    assert failed is not None
    assert failed.id == aws.cloud.find(LB, "web").id
    allow_writes(aws, "lb-logs", {"AWS": ELB_ACCOUNT_US_WEST_2})
    encrypt(aws, "lb-logs", "aws:kms", "k")
    aws.made(LB, "web2", {"subnets": net.subnets, "accessLogs": logs})
    statuses = {item["source"]: item for item in aws.cloud.log_deliveries()}
    assert statuses["web2"]["delivering"] is False
    assert "load balancer access logs" in statuses["web2"]["reason"]


# -- CloudWatch Logs and KMS -------------------------------------------------------------------


def test_an_encrypted_log_group_needs_the_logs_service_in_the_key_policy(aws: Standin) -> None:
    plain_key, _ = aws.made(KEY, "plain", {"policy": policy()})
    name = "/webapp/flow"
    assert "AccessDeniedException: The specified KMS key does not exist or is not allowed" in (
        refused(lambda: aws.create(LOG_GROUP, "flow", {"name": name, "kmsKeyId": plain_key}))
    )
    logs = {
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
        "Action": [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:*"
            }
        },
    }
    usable, _ = aws.made(KEY, "logs", {"policy": policy(logs)})
    aws.made(LOG_GROUP, "flow", {"name": name, "kmsKeyId": usable})


# -- launch templates and Auto Scaling ---------------------------------------------------------


def template_inputs(
    key: str | None = None, image: str = "ami-1", level: str = "WARNING"
) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "imageId": image,
        "instanceType": "t3.small",
        "userData": base64.b64encode(f"LOG_LEVEL={level}\n".encode()).decode(),
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
        "tags": {"Name": "web"},
    }
    if key is not None:
        inputs["blockDeviceMappings"] = [
            {
                "deviceName": "/dev/xvda",
                "ebs": {"encrypted": "true", "kmsKeyId": key, "volumeType": "gp3"},
            }
        ]
    return inputs


def group_inputs(
    net: Net, template: str, *, desired: int = 2, version: str = "1"
) -> dict[str, Any]:
    return {
        "minSize": desired,
        "maxSize": 2 * desired,
        "desiredCapacity": desired,
        "vpcZoneIdentifiers": net.subnets,
        "launchTemplate": {"id": template, "version": version},
        "instanceRefresh": {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 50}},
        "tags": [{"key": "Name", "value": "web", "propagateAtLaunch": True}],
    }


def members(aws: Standin, group: str) -> list[Any]:
    return [
        instance
        for instance in aws.cloud.resources(INSTANCE)
        if instance.facts.get("autoScalingGroup") == group
    ]


def test_a_launch_template_versions_what_instances_launch_with(aws: Standin) -> None:
    template, outputs = aws.made(LT, "web", template_inputs())
    assert (outputs["latestVersion"], outputs["defaultVersion"]) == (1, 1)
    changed = template_inputs(level="INFO")
    preview = wire.to_props(
        aws.update(LT, "web", template, outputs, changed, preview=True).properties
    )
    assert preview["latestVersion"] == wire.UNKNOWN
    second = wire.to_props(aws.update(LT, "web", template, outputs, changed).properties)
    assert (second["latestVersion"], second["defaultVersion"]) == (2, 1)
    retagged = {**changed, "tags": {"Name": "web", "team": "ops"}, "updateDefaultVersion": True}
    third = wire.to_props(aws.update(LT, "web", template, second, retagged).properties)
    # Tags are not part of a version; updateDefaultVersion moves the default to the latest.
    assert (third["latestVersion"], third["defaultVersion"]) == (2, 2)
    assert sorted(aws.cloud.get(LT, template).facts["versions"]) == ["1", "2"]  # type: ignore[union-attr]


def test_a_group_launches_its_capacity_across_zones_into_its_target_groups(aws: Standin) -> None:
    net = network(aws)
    target, _ = aws.made(TG, "web", {"port": 80, "protocol": "HTTP", "vpcId": net.vpc})
    template, _ = aws.made(LT, "web", template_inputs())
    group, outputs = aws.made(
        ASG, "web", {**group_inputs(net, template), "targetGroupArns": [target]}
    )
    running = members(aws, outputs["name"])
    assert len(running) == 2
    assert sorted(instance.output("availabilityZone") for instance in running) == [
        f"{REGION}a",
        f"{REGION}b",
    ]
    assert outputs["availabilityZones"] == [f"{REGION}a", f"{REGION}b"]
    assert running[0].output("tags")["aws:autoscaling:groupName"] == group
    assert running[0].output("tags")["Name"] == "web"
    assert running[0].facts["launchTemplate"] == {"id": template, "version": "1"}
    assert running[0].facts["internetAtLaunch"] is True
    assert sorted(registered_targets(aws.cloud.snapshot(), target)) == sorted(
        instance.id for instance in running
    )
    aws.delete(ASG, "web", group, outputs)
    assert aws.cloud.resources(INSTANCE) == []


def test_an_instance_refresh_replaces_every_instance_when_the_template_changes(
    aws: Standin,
) -> None:
    net = network(aws)
    template, template_outputs = aws.made(LT, "web", template_inputs())
    inputs = group_inputs(net, template)
    group, outputs = aws.made(ASG, "web", inputs)
    before = {instance.id for instance in members(aws, group)}
    aws.update(LT, "web", template, template_outputs, template_inputs(level="INFO"))
    newer = {**inputs, "launchTemplate": {"id": template, "version": "2"}}
    aws.update(ASG, "web", group, outputs, newer)
    after = members(aws, group)
    assert len(after) == 2
    assert before.isdisjoint(instance.id for instance in after)
    assert all(instance.facts["launchTemplate"]["version"] == "2" for instance in after)
    assert {base64.b64decode(instance.output("userDataBase64")).decode() for instance in after} == {
        "LOG_LEVEL=INFO\n"
    }
    # Nothing stray: every instance in the cloud belongs to the group.
    assert len(aws.cloud.resources(INSTANCE)) == 2
    [refresh] = aws.cloud.get(ASG, group).facts["instanceRefreshes"]  # type: ignore[union-attr]
    assert refresh["status"] == "Successful"
    assert sorted(refresh["replaced"]) == sorted(before)


def test_a_new_version_behind_latest_or_without_a_refresh_block_rolls_nothing(
    aws: Standin,
) -> None:
    net = network(aws)
    template, template_outputs = aws.made(LT, "web", template_inputs())
    latest = {
        **group_inputs(net, template),
        "launchTemplate": {"id": template, "version": "$Latest"},
    }
    group, outputs = aws.made(ASG, "web", latest)
    aws.update(LT, "web", template, template_outputs, template_inputs(level="INFO"))
    # The group's own inputs did not change, so the provider starts no refresh.
    aws.update(ASG, "web", group, outputs, latest)
    assert {instance.facts["launchTemplate"]["version"] for instance in members(aws, group)} == {
        "1"
    }
    pinned = group_inputs(net, template, version="1")
    del pinned["instanceRefresh"]
    other, other_outputs = aws.made(ASG, "other", pinned)
    aws.update(
        ASG,
        "other",
        other,
        other_outputs,
        {**pinned, "launchTemplate": {"id": template, "version": "2"}},
    )
    assert {instance.facts["launchTemplate"]["version"] for instance in members(aws, other)} == {
        "1"
    }


def test_a_group_scales_and_replaces_instances_of_subnets_it_left(aws: Standin) -> None:
    net = network(aws)
    template, _ = aws.made(LT, "web", template_inputs())
    inputs = group_inputs(net, template)
    group, outputs = aws.made(ASG, "web", inputs)
    grown = {**inputs, "desiredCapacity": 3}
    aws.update(ASG, "web", group, outputs, grown)
    assert len(members(aws, group)) == 3
    one_zone = {**grown, "desiredCapacity": 2, "vpcZoneIdentifiers": net.subnets[:1]}
    aws.update(ASG, "web", group, outputs, one_zone)
    assert [instance.output("subnetId") for instance in members(aws, group)] == [net.subnets[0]] * 2


def test_a_group_cannot_launch_with_a_key_its_service_role_may_not_use(aws: Standin) -> None:
    net = network(aws)
    key, _ = aws.made(KEY, "data", {"policy": policy()})
    template, _ = aws.made(LT, "web", template_inputs(key))
    with pytest.raises(grpc.RpcError) as raised:
        aws.create(ASG, "web", {**group_inputs(net, template), "name": "web"})
    details = raised.value.details()
    assert "waiting for Auto Scaling Group (web) capacity satisfied: scaling activity (" in details
    assert (
        "Failed: Instance became unhealthy while waiting for instance to be in InService state. "
        "Termination Reason: Client.InternalError: Client error on launch" in details
    )
    assert "kms:CreateGrant" in details  # the stand-in's hint
    # The group exists in AWS, without instances; the engine keeps it as failed to initialize.
    failed = init_failure(raised.value)
    assert failed is not None
    assert failed.id == "web"
    assert members(aws, "web") == []
    # Without the capacity wait the create succeeds and the failure shows in the activities.
    group, _ = aws.made(
        ASG,
        "nowait",
        {**group_inputs(net, template), "name": "nowait", "waitForCapacityTimeout": "0"},
    )
    [activity] = aws.cloud.get(ASG, group).facts["activities"]  # type: ignore[union-attr]
    assert activity["status"] == "Failed"
    assert members(aws, group) == []


@pytest.mark.parametrize(
    ("statements", "launches"),
    [
        ((SLR_USE, SLR_GRANT), True),
        ((SLR_USE,), False),
        ((SLR_GRANT,), False),
        # Delegating to the account root is not enough: the role's own policy has no KMS rights.
        (
            ({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},),
            False,
        ),
        (
            (
                SLR_USE,
                SLR_GRANT,
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": SLR},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                },
            ),
            False,
        ),
    ],
)
def test_the_key_policy_decides_whether_a_group_launches(
    aws: Standin, statements: tuple[dict[str, Any], ...], launches: bool
) -> None:
    net = network(aws)
    key, _ = aws.made(KEY, "data", {"policy": policy(*statements)})
    template, _ = aws.made(LT, "web", template_inputs(key))
    group, _ = aws.made(ASG, "web", {**group_inputs(net, template), "waitForCapacityTimeout": "0"})
    assert len(members(aws, group)) == (2 if launches else 0)


def test_a_grant_to_the_service_role_lets_a_group_launch(aws: Standin) -> None:
    net = network(aws)
    key, key_outputs = aws.made(KEY, "data", {"policy": policy()})
    operations = ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey"]
    operations += ["GenerateDataKeyWithoutPlaintext", "DescribeKey", "CreateGrant"]
    aws.made(
        t.KMS_GRANT,
        "asg",
        {"keyId": key_outputs["arn"], "granteePrincipal": SLR, "operations": operations},
    )
    template, _ = aws.made(LT, "web", template_inputs(key_outputs["arn"]))
    group, _ = aws.made(ASG, "web", group_inputs(net, template))
    assert len(members(aws, group)) == 2
    assert key


def test_an_instance_refresh_onto_an_unusable_key_fails_and_keeps_the_old_instances(
    aws: Standin,
) -> None:
    net = network(aws)
    usable, _ = aws.made(KEY, "ok", {"policy": policy(SLR_USE, SLR_GRANT)})
    unusable, _ = aws.made(KEY, "bad", {"policy": policy()})
    template, template_outputs = aws.made(LT, "web", template_inputs(usable))
    inputs = group_inputs(net, template)
    group, outputs = aws.made(ASG, "web", inputs)
    before = sorted(instance.id for instance in members(aws, group))
    aws.update(LT, "web", template, template_outputs, template_inputs(unusable))
    aws.update(
        ASG, "web", group, outputs, {**inputs, "launchTemplate": {"id": template, "version": "2"}}
    )
    assert sorted(instance.id for instance in members(aws, group)) == before
    [refresh] = aws.cloud.get(ASG, group).facts["instanceRefreshes"]  # type: ignore[union-attr]
    assert refresh["status"] == "Failed"


def test_a_group_refuses_what_autoscaling_validates(aws: Standin) -> None:
    net = network(aws)
    template, _ = aws.made(LT, "web", template_inputs())
    inputs = group_inputs(net, template)
    assert "Desired capacity:5 must be between the specified min size:2 and max size:4" in refused(
        lambda: aws.create(ASG, "big", {**inputs, "desiredCapacity": 5})
    )
    assert "The specified launch template, with template id lt-0, does not exist." in refused(
        lambda: aws.create(ASG, "ghost", {**inputs, "launchTemplate": {"id": "lt-0"}})
    )
    missing_group = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:targetgroup/x/0"
    assert "Provided Target Groups may not be valid" in refused(
        lambda: aws.create(ASG, "tg", {**inputs, "targetGroupArns": [missing_group]})
    )
    assert aws.cloud.resources(ASG) == []
