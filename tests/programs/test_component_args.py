"""The components' argument checks: a wrong value fails before any resource is registered."""

from __future__ import annotations

import pytest

from orchestration.plan.placeholders import placeholder_result
from program.components.encrypted_bucket import LogDelivery
from program.components.flow_logs import FlowLogsArgs, delivery_policy
from program.components.network import NetworkArgs, subnet_cidr
from program.components.web_security_group import Egress
from shared import aws_types as t
from shared.aws_facts import ELB_LOG_ACCOUNTS

ZONES = ("us-west-2a", "us-west-2b")


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
    NetworkArgs("10.20.0.0/22", ZONES, "x", private_subnets=True)
    NetworkArgs("10.20.0.0/22", ("us-west-2a", "us-west-2c"), "x")
    with pytest.raises(ValueError, match=r"no room for public and private subnets.*us-west-2c"):
        NetworkArgs("10.20.0.0/22", ("us-west-2a", "us-west-2c"), "x", private_subnets=True)


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
        return FlowLogsArgs("vpc", "/a/b/c", days, "key", "role", "1", "aws", "us-west-2", "n")

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
