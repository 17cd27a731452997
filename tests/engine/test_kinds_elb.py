"""The stand-in's load balancing kinds and log delivery: what AWS refuses, with AWS's codes.

Each test drives a stand-in served in this process over gRPC, as the engine does, in a fresh
account of the session's emulator; networks, certificates and out-of-band changes are made
with boto3 through the account's operator, as an operator would with the AWS CLI.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from shared import aws_types as t
from shared.aws_facts import ELB_LOG_ACCOUNTS
from tests.engine.emulated_account import REGION, Operator
from tests.engine.standin_aws.refusals.delivery import log_deliveries
from tests.engine.standin_aws.wire import to_props
from tests.engine.standin_client import (
    Net,
    Standin,
    init_failure,
    operator_network,
    refused,
    serve_in_process,
)

LB = t.LOAD_BALANCER
TG = t.TARGET_GROUP
LISTENER = t.LISTENER
BUCKET = t.BUCKET
LOGGING = t.BUCKET_LOGGING


def bucket_name(aws: Standin, stem: str) -> str:
    """Bucket names are global across the emulator's accounts: one per test account."""
    return f"{stem}-{aws.operator.keys.account_id}"


# -- the provider's error shape ----------------------------------------------------------------


def test_refusals_read_like_the_real_providers(aws: Standin) -> None:
    net = operator_network(aws)
    settings = {"name": "web-80", "port": 80, "protocol": "HTTP", "vpcId": net.vpc}
    group, _ = aws.made(TG, "web", settings)
    lb, _ = aws.made(LB, "lb", {"name": "web", "subnets": net.subnets})
    missing = group.replace("/web-80/", "/gone/")
    http = {
        "loadBalancerArn": lb,
        "port": 80,
        "protocol": "HTTP",
        "defaultActions": [{"type": "forward", "targetGroupArn": missing}],
    }
    # A refusal of the emulator reads as the provider reports AWS's.
    details = refused(lambda: aws.create(LISTENER, "http", http))
    assert details.startswith(f"[test-only AWS stand-in] creating ELBv2 Listener ({lb}): ")
    assert (
        "operation error Elastic Load Balancing v2: CreateListener, https response error "
        "StatusCode: 400" in details
    )
    assert details.endswith(f"api error TargetGroupNotFound: Target group '{missing}' not found")
    # Deterministic: the same refusal twice reads the same, request id included.
    assert refused(lambda: aws.create(LISTENER, "http", http)) == details


# -- unique names ------------------------------------------------------------------------------


def test_bucket_names_are_unique_across_all_accounts(aws: Standin, moto_url: str) -> None:
    mine_name, theirs_name = bucket_name(aws, "webapp-data"), bucket_name(aws, "someone-elses")
    aws.made(BUCKET, "data", {"bucket": mine_name})
    mine = refused(lambda: aws.create(BUCKET, "again", {"bucket": mine_name}))
    assert "operation error S3: CreateBucket, https response error StatusCode: 409" in mine
    assert "HostID: " in mine
    assert mine.endswith(
        "BucketAlreadyOwnedByYou: Your previous request to create the named bucket succeeded "
        "and you already own it."
    )
    with serve_in_process(moto_url) as other:
        other.made(BUCKET, "theirs", {"bucket": theirs_name})
    theirs = refused(lambda: aws.create(BUCKET, "theirs", {"bucket": theirs_name}))
    assert "BucketAlreadyExists: The requested bucket name is not available." in theirs
    listed = aws.operator.client("s3").list_buckets()["Buckets"]
    assert [bucket["Name"] for bucket in listed] == [mine_name]


def test_target_group_names_are_unique_per_region_unless_identical(aws: Standin) -> None:
    net = operator_network(aws)
    settings = {"name": "web-80", "port": 80, "protocol": "HTTP", "vpcId": net.vpc}
    first, _ = aws.made(TG, "web", settings)
    # ELBv2's create is idempotent: the same name and settings return the same group (here
    # through the provider's `aws:alb` alias of the type).
    assert aws.made(t.ALB_TARGET_GROUP, "web-again", settings)[0] == first
    details = refused(lambda: aws.create(TG, "web-8080", {**settings, "port": 8080}))
    assert "creating ELBv2 Target Group (web-80): operation error Elastic Load Balancing v2" in (
        details
    )
    assert details.endswith(
        "DuplicateTargetGroupName: A target group with the same name 'web-80' exists, but with "
        "different settings"
    )


def test_load_balancer_names_are_unique_per_region(aws: Standin) -> None:
    net = operator_network(aws)
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
    assert len(aws.operator.client("elbv2").describe_load_balancers()["LoadBalancers"]) == 1


# -- the internet gateway ------------------------------------------------------------------------


def test_an_internet_facing_load_balancer_needs_the_gateway_attached_now(aws: Standin) -> None:
    net = operator_network(aws, gateway=False)
    ec2 = aws.operator.client("ec2")
    # The gateway exists, but is not attached yet when the balancer is created.
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    balancer = {"subnets": net.subnets, "loadBalancerType": "application"}
    details = refused(lambda: aws.create(LB, "early", {**balancer, "name": "early"}))
    assert details.endswith(f"api error InvalidSubnet: VPC {net.vpc} has no internet gateway")
    assert "creating ELBv2 application Load Balancer (early)" in details
    # An internal balancer needs no gateway.
    aws.made(LB, "internal", {**balancer, "name": "internal", "internal": True})
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=net.vpc)
    _, outputs = aws.made(LB, "late", {**balancer, "name": "late"})
    assert outputs["vpcId"] == net.vpc
    described = aws.operator.client("elbv2").describe_load_balancers(Names=["late"])
    [late] = described["LoadBalancers"]
    assert (outputs["arn"], outputs["dnsName"]) == (late["LoadBalancerArn"], late["DNSName"])
    assert outputs["arnSuffix"] == late["LoadBalancerArn"].split(":loadbalancer/")[1]


# -- load balancer placement ---------------------------------------------------------------------


def test_load_balancer_subnets_must_be_one_vpc_and_two_zones(aws: Standin) -> None:
    one, two = operator_network(aws, "10.1.0.0/16"), operator_network(aws, "10.2.0.0/16")
    mixed = {"name": "mixed", "subnets": [one.subnets[0], two.subnets[1]]}
    assert "InvalidConfigurationRequest" in refused(lambda: aws.create(LB, "mixed", mixed))
    single = {"name": "single", "subnets": [one.subnets[0]]}
    assert "At least two subnets in two different Availability Zones" in refused(
        lambda: aws.create(LB, "single", single)
    )
    ghost = {"name": "ghost", "subnets": ["subnet-0000000000000000a", one.subnets[0]]}
    assert "SubnetNotFound: The subnet ID 'subnet-0000000000000000a' is not valid" in refused(
        lambda: aws.create(LB, "ghost", ghost)
    )
    balancer, outputs = aws.made(LB, "web", {"name": "web", "subnets": one.subnets})
    # Moving the balancer's subnets to another VPC is an update AWS refuses.
    details = refused(
        lambda: aws.update(LB, "web", balancer, {**outputs}, {**outputs, "subnets": two.subnets})
    )
    assert f"setting ELBv2 Load Balancer ({balancer}) subnets" in details
    assert "InvalidConfigurationRequest" in details
    names = [
        lb["LoadBalancerName"]
        for lb in aws.operator.client("elbv2").describe_load_balancers()["LoadBalancers"]
    ]
    assert names == ["web"]


def test_deletion_protection_keeps_a_load_balancer(aws: Standin) -> None:
    net = operator_network(aws)
    props = {"name": "web", "subnets": net.subnets, "enableDeletionProtection": True}
    balancer, outputs = aws.made(LB, "web", props)
    assert "OperationNotPermitted" in refused(lambda: aws.delete(LB, "web", balancer, outputs))
    assert aws.read(LB, "web", balancer).id == balancer
    # Without protection the same delete goes through, and the next read finds it gone.
    aws.update(LB, "web", balancer, props, {**props, "enableDeletionProtection": False})
    aws.delete(LB, "web", balancer, outputs)
    assert aws.read(LB, "web", balancer).id == ""


# -- listeners ---------------------------------------------------------------------------------


@pytest.fixture
def balancer(aws: Standin) -> tuple[Net, str, str]:
    """A network, a load balancer in it and a target group: (net, balancer ARN, group ARN)."""
    net = operator_network(aws)
    lb, _ = aws.made(LB, "web", {"name": "web", "subnets": net.subnets})
    group, _ = aws.made(
        TG, "web", {"name": "web", "port": 80, "protocol": "HTTP", "vpcId": net.vpc}
    )
    return net, lb, group


def forward(group: str) -> list[dict[str, Any]]:
    return [{"type": "forward", "targetGroupArn": group}]


def certificate(operator: Operator, region: str) -> str:
    """An ACM certificate of `region` in the operator's account."""
    acm = Operator(operator.endpoint, operator.keys, region).client("acm")
    return str(acm.request_certificate(DomainName="app.example.com")["CertificateArn"])


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
    elsewhere = certificate(aws.operator, "us-east-1")
    assert "CertificateNotFound" in refused(
        lambda: aws.create(LISTENER, "https", {**https, "certificateArn": elsewhere})
    )
    here = certificate(aws.operator, REGION)
    assert "SSLPolicyNotFound" in refused(
        lambda: aws.create(
            LISTENER, "https", {**https, "certificateArn": here, "sslPolicy": "Modern"}
        )
    )
    policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    _, outputs = aws.made(LISTENER, "https", {**https, "certificateArn": here, "sslPolicy": policy})
    assert outputs["sslPolicy"] == policy
    assert "DuplicateListener: A listener already exists on this port" in refused(
        lambda: aws.create(LISTENER, "https-2", {**https, "certificateArn": here})
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
    arn, outputs = aws.made(LISTENER, "http", redirect("HTTP_301"))
    assert "sslPolicy" not in outputs
    [listener] = aws.operator.client("elbv2").describe_listeners(ListenerArns=[arn])["Listeners"]
    assert listener["DefaultActions"][0]["RedirectConfig"]["StatusCode"] == "HTTP_301"


def test_listeners_forward_only_to_existing_groups_of_their_vpc(
    aws: Standin, balancer: tuple[Net, str, str]
) -> None:
    _, lb, group = balancer
    other = operator_network(aws, "10.9.0.0/16")
    stranger, _ = aws.made(
        TG, "other", {"name": "other", "port": 80, "protocol": "HTTP", "vpcId": other.vpc}
    )
    http = {"loadBalancerArn": lb, "port": 80, "protocol": "HTTP"}
    assert f"Target group '{stranger}' is in a different VPC than load balancer '{lb}'" in refused(
        lambda: aws.create(LISTENER, "http", {**http, "defaultActions": forward(stranger)})
    )
    missing = group.replace("/web/", "/gone/")
    assert "TargetGroupNotFound" in refused(
        lambda: aws.create(LISTENER, "http", {**http, "defaultActions": forward(missing)})
    )
    aws.made(LISTENER, "http", {**http, "defaultActions": forward(group)})
    state = to_props(aws.read(TG, "web", group).properties)
    assert f"ResourceInUse: The target group '{group}' is currently in use by a listener" in (
        refused(lambda: aws.delete(TG, "web", group, state))
    )


# -- access log delivery -----------------------------------------------------------------------


def encrypt(aws: Standin, bucket: str, algorithm: str, key: str | None = None) -> None:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key:
        default["kmsMasterKeyId"] = key
    aws.made(
        t.BUCKET_ENCRYPTION,
        f"{bucket}-encryption",
        {"bucket": bucket, "rules": [{"applyServerSideEncryptionByDefault": default}]},
    )


def allow_writes(
    aws: Standin, bucket: str, principal: dict[str, str], condition: dict[str, Any] | None = None
) -> None:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    if condition:
        statement["Condition"] = condition
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    aws.made(t.BUCKET_POLICY, f"{bucket}-policy", {"bucket": bucket, "policy": document})


LOG_SERVICE = {"Service": "logging.s3.amazonaws.com"}


def test_server_access_logs_into_an_sse_kms_bucket_are_not_delivered(aws: Standin) -> None:
    data, logs = bucket_name(aws, "data"), bucket_name(aws, "logs")
    aws.made(BUCKET, data, {"bucket": data})
    assert "InvalidTargetBucketForLogging: The target bucket for logging does not exist" in (
        refused(lambda: aws.create(LOGGING, "data", {"bucket": data, "targetBucket": logs}))
    )
    aws.made(BUCKET, logs, {"bucket": logs})
    allow_writes(aws, logs, LOG_SERVICE)
    key, _ = aws.made(t.KMS_KEY, "key", {"description": "logs"})
    encrypt(aws, logs, "aws:kms", key)
    # AWS accepts the configuration; the logs just never arrive.
    aws.made(LOGGING, "data-logging", {"bucket": data, "targetBucket": logs, "targetPrefix": "a/"})
    [delivery] = log_deliveries(aws.operator)
    assert (delivery["source"], delivery["target"]) == (data, logs)
    assert delivery["delivering"] is False
    assert "aws:kms" in delivery["reason"]
    assert "SSE-S3 (AES256)" in delivery["reason"]
    # Re-encrypting the target with SSE-S3 makes delivery work, without touching the logging.
    aws.operator.client("s3").put_bucket_encryption(
        Bucket=logs,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    assert log_deliveries(aws.operator)[0]["delivering"] is True


def test_server_access_logs_need_the_log_service_allowed(aws: Standin) -> None:
    data, logs = bucket_name(aws, "data"), bucket_name(aws, "logs")
    for name in (data, logs):
        aws.made(BUCKET, name, {"bucket": name})
    # The emulator refuses a target whose policy does not let the logging service write.
    details = refused(
        lambda: aws.create(LOGGING, "data-logging", {"bucket": data, "targetBucket": logs})
    )
    assert "InvalidTargetBucketForLogging" in details
    assert "permissions to the logging service" in details
    assert log_deliveries(aws.operator) == []


def test_the_log_service_is_allowed_only_for_the_named_source_buckets(aws: Standin) -> None:
    data, other, logs = (bucket_name(aws, stem) for stem in ("data", "other", "logs"))
    for name in (data, other, logs):
        aws.made(BUCKET, name, {"bucket": name})
    condition = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{data}"},
        "StringEquals": {"aws:SourceAccount": aws.operator.keys.account_id},
    }
    allow_writes(aws, logs, LOG_SERVICE, condition)
    aws.made(LOGGING, "data-logging", {"bucket": data, "targetBucket": logs})
    aws.made(LOGGING, "other-logging", {"bucket": other, "targetBucket": logs})
    delivering = {item["source"]: item["delivering"] for item in log_deliveries(aws.operator)}
    assert delivering == {data: True, other: False}


def test_load_balancer_access_logs_need_the_elb_account_and_sse_s3(aws: Standin) -> None:
    net = operator_network(aws)
    bucket = bucket_name(aws, "lb-logs")
    aws.made(BUCKET, "lb-logs", {"bucket": bucket})
    logs = {"enabled": True, "bucket": bucket, "prefix": "alb"}
    with pytest.raises(grpc.RpcError) as raised:
        aws.create(LB, "web", {"name": "web", "subnets": net.subnets, "accessLogs": logs})
    assert f"Access Denied for bucket: {bucket}. Please check S3bucket permission" in (
        raised.value.details()
    )
    # The balancer exists by then: the engine is told so, to keep it in the state.
    failed = init_failure(raised.value)
    assert failed is not None
    [made] = aws.operator.client("elbv2").describe_load_balancers(Names=["web"])["LoadBalancers"]
    assert failed.id == made["LoadBalancerArn"]
    allow_writes(aws, bucket, {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[REGION]}:root"})
    encrypt(aws, bucket, "aws:kms", "k")
    aws.made(LB, "web2", {"name": "web2", "subnets": net.subnets, "accessLogs": logs})
    statuses = {item["source"]: item for item in log_deliveries(aws.operator)}
    assert statuses["web2"]["delivering"] is False
    assert "load balancer access logs" in statuses["web2"]["reason"]


def test_numbers_arrive_as_the_integers_aws_takes(aws: Standin) -> None:
    """Pulumi sends every number as a double: a health check's seconds and counts must still
    reach ELB as integers (the SDK refuses 15.0), as the provider's typed schema sends them."""
    vpc = aws.operator.client("ec2").create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    check = {"interval": 15.0, "timeout": 5.0, "healthyThreshold": 2.0, "unhealthyThreshold": 3.0}
    inputs = {"port": 80.0, "protocol": "HTTP", "vpcId": vpc, "healthCheck": check}
    _, outputs = aws.made(t.TARGET_GROUP, "web", {"name": "numbers-tg", **inputs})
    [group] = aws.operator.client("elbv2").describe_target_groups(Names=["numbers-tg"])[
        "TargetGroups"
    ]
    assert (group["Port"], group["HealthCheckIntervalSeconds"]) == (80, 15)
    assert outputs["arn"] == group["TargetGroupArn"]
