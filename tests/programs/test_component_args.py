"""The components' argument checks: a wrong value fails before any resource is registered."""

from __future__ import annotations

import pytest

from orchestration.plan.placeholders import placeholder_result
from program.components.app_buckets import AppBucketsArgs
from program.components.encrypted_bucket import LogDelivery
from program.components.flow_logs import FlowLogsArgs, delivery_policy
from program.components.network import NetworkArgs, NetworkRefs, Subnets, subnet_cidr
from program.components.vpc_endpoints import PrivateEndpointsArgs
from program.components.web_security_group import Egress
from program.components.web_service import AppRuntime, WebNames, WebServiceArgs
from shared import aws_types as t
from shared.aws_facts import ELB_LOG_ACCOUNTS
from shared.settings import load_settings

ZONES = ("us-west-2a", "us-west-2b")
PUBLIC = Subnets({"us-west-2a": "subnet-a", "us-west-2b": "subnet-b"}, "rtb-public")
PRIVATE = Subnets({"us-west-2a": "subnet-c", "us-west-2b": "subnet-d"}, "rtb-private")


@pytest.mark.parametrize(
    ("vpc", "zone", "private", "expected"),
    [
        ("10.20.0.0/16", "us-west-2a", False, "10.20.0.0/24"),
        ("10.20.0.0/16", "us-west-2b", True, "10.20.129.0/24"),
        ("10.20.0.0/22", "us-west-2a", True, "10.20.2.0/24"),
        ("10.20.0.0/22", "us-west-2d", False, "10.20.3.0/24"),
    ],
)
def test_subnets_sit_at_their_zone_letter_private_ones_in_the_second_half(
    vpc: str, zone: str, private: bool, expected: str
) -> None:
    assert subnet_cidr(vpc, zone, private=private) == expected


def test_a_vpc_too_small_for_public_and_private_subnets_is_refused() -> None:
    NetworkArgs("10.20.0.0/22", ZONES, private_subnets=True)
    NetworkArgs("10.20.0.0/22", ("us-west-2a", "us-west-2c"))
    with pytest.raises(ValueError, match=r"no room for public and private subnets.*us-west-2c"):
        NetworkArgs("10.20.0.0/22", ("us-west-2a", "us-west-2c"), private_subnets=True)


def test_an_egress_rule_goes_to_a_cidr_or_a_labelled_prefix_list() -> None:
    assert Egress(443, "10.0.0.0/16", "x").destination_label == "10-0-0-0-16"
    assert Egress(443, None, "x", prefix_list_id="pl-1", label="s3").destination_label == "s3"
    with pytest.raises(ValueError, match="either a CIDR or a prefix list"):
        Egress(443, "10.0.0.0/16", "x", prefix_list_id="pl-1", label="s3")
    with pytest.raises(ValueError, match="either a CIDR or a prefix list"):
        Egress(443, None, "x")
    with pytest.raises(ValueError, match="needs a label"):
        Egress(443, None, "x", prefix_list_id="pl-1")


@pytest.mark.parametrize("prefix", ["", "/lb", "lb/", "lb/AWSLogs"])
def test_a_load_balancer_log_prefix_elb_cannot_use_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="load balancer log prefix"):
        LogDelivery("111122223333", [], "access-logs/", load_balancer_prefix=prefix)


def test_flow_logs_keep_a_retention_cloudwatch_offers() -> None:
    def args(days: int) -> FlowLogsArgs:
        return FlowLogsArgs("vpc", "/a/b/c", days, "key", "role")

    assert args(365).retention_days == 365
    with pytest.raises(ValueError, match="not a CloudWatch Logs retention period"):
        args(100)


def test_the_flow_log_role_lists_groups_only_in_its_account_and_region() -> None:
    arn = "arn:aws:logs:us-west-2:111122223333:log-group:/webapp/production/vpc-flow-logs"
    _, lists = delivery_policy(arn)["Statement"]
    assert lists["Resource"] == "arn:aws:logs:us-west-2:111122223333:log-group:*"


def test_the_offline_plan_knows_elbs_log_account_only_where_aws_publishes_one() -> None:
    token = t.GET_ELB_SERVICE_ACCOUNT
    answer = placeholder_result(token, {}, account="111122223333", region="us-west-2")
    assert answer["arn"] == f"arn:aws:iam::{ELB_LOG_ACCOUNTS['us-west-2']}:root"
    # A region opened after August 2022 (Spain) has no ELB log account, only a service principal.
    with pytest.raises(ValueError, match="no log delivery account in eu-south-2"):
        placeholder_result(token, {}, account="111122223333", region="eu-south-2")


def test_a_network_value_has_subnets_and_an_ipv4_range() -> None:
    with pytest.raises(ValueError, match="at least one zone"):
        Subnets({}, "rtb-1")
    with pytest.raises(ValueError, match="has host bits set"):
        NetworkRefs("vpc-1", "10.20.0.1/16", PUBLIC)


def test_vpc_endpoints_refuse_a_network_without_private_subnets() -> None:
    with_private = NetworkRefs("vpc-1", "10.20.0.0/16", PUBLIC, PRIVATE)
    args = PrivateEndpointsArgs(with_private, "us-west-2", "arn:aws:s3:::b", "endpoints-")
    assert args.private_subnets is PRIVATE
    with pytest.raises(ValueError, match="the network has none"):
        PrivateEndpointsArgs(
            NetworkRefs("vpc-1", "10.20.0.0/16", PUBLIC), "us-west-2", "arn:aws:s3:::b", "e-"
        )


def web_service_args(*, load_balanced: bool, private: bool, **knobs: object) -> WebServiceArgs:
    """Args for the production web tier (load balanced, private subnets), changed by `knobs`."""
    settings = load_settings("production")
    values: dict[str, object] = {
        "network": NetworkRefs("vpc-1", "10.20.0.0/16", PUBLIC, PRIVATE if private else None),
        "load_balanced": load_balanced,
        "names": WebNames.of(settings),
        "app": AppRuntime.of(settings, port=80),
        "ami_id": "ami-1",
        "instance_type": "t3.small",
        "allowed_cidrs": ("0.0.0.0/0",),
        "bucket_name": "b",
        "bucket_arn": "arn:aws:s3:::b",
        "kms_key_arn": "arn:aws:kms:us-west-2:111122223333:key/k",
        "log_bucket_name": "logs",
        **knobs,
    }
    return WebServiceArgs(**values)  # type: ignore[arg-type]


def test_the_web_tier_args_hold_what_each_shape_needs() -> None:
    assert web_service_args(load_balanced=True, private=True, instance_count=2).load_balanced
    assert not web_service_args(load_balanced=False, private=False).load_balanced
    with pytest.raises(ValueError, match="runs in private subnets"):
        web_service_args(load_balanced=True, private=False)
    with pytest.raises(ValueError, match="logs its load balancer"):
        web_service_args(load_balanced=True, private=True, log_bucket_name=None)


@pytest.mark.parametrize(
    ("knobs", "reason"),
    [
        ({"instance_count": 2}, "one instance is served directly, not 2"),
        ({"certificate_arn": "arn:aws:acm:us-west-2:1:certificate/c"}, "needs the load balancer"),
        ({"domain_name": "app.example.com"}, "needs the certificate it is for"),
        ({"allowed_cidrs": ()}, "allowed_cidrs is empty"),
    ],
)
def test_a_lone_web_server_refuses_what_only_a_load_balancer_could_serve(
    knobs: dict[str, object], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        web_service_args(load_balanced=False, private=False, **knobs)


def test_the_app_runtime_refuses_a_bad_port_or_log_level() -> None:
    assert AppRuntime("production", "us-west-2", 8080, log_level="DEBUG").port == 8080
    with pytest.raises(ValueError, match="not a TCP port"):
        AppRuntime("production", "us-west-2", 0)
    with pytest.raises(ValueError, match="not one of"):
        AppRuntime("production", "us-west-2", log_level="LOUD")


def test_app_buckets_are_protected_unless_told_and_keep_logs_a_valid_time() -> None:
    settings = load_settings("development")
    args = AppBucketsArgs(settings, "111122223333", "arn:aws:kms:us-west-2:1:key/k")
    assert args.protect
    assert args.access_log_retention_days is None
    with pytest.raises(ValueError, match="access logs must be kept"):
        AppBucketsArgs(settings, "111122223333", "key", access_log_retention_days=0)
