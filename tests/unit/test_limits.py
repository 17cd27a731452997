"""Each limit has one home, so where it is configured, built and enforced it means the same."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from program.components.kms_key import KmsKeyArgs
from program.components.web_security_group import WebSecurityGroupArgs
from program.policy import Resource, StackView, rule_by_id
from program.policy.values import customer_key_problem
from program.webapp.user_data import AppEnvironment
from projects.compute.config import ComputeConfig
from projects.security.config import SecurityConfig
from shared import aws_types as t
from shared.config_reading import ProjectConfigError
from shared.limits import (
    ADMIN_PORTS,
    KEY_DELETION_WINDOW_MAX,
    KEY_DELETION_WINDOW_MIN,
    PRODUCTION_KEY_DELETION_WINDOW,
)
from shared.naming import normalize_bucket_name
from shared.settings import EnvironmentSettings, SettingsError, parse_region

KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/0000beef-0000-4000-8000-000000000001"


def refused(build: Callable[[], object], error: type[Exception]) -> bool:
    try:
        build()
    except error:
        return True
    return False


def window_rule_fires(days: int, settings: EnvironmentSettings) -> bool:
    key = Resource(t.KMS_KEY, "key", {"deletionWindowInDays": days})
    rule = rule_by_id("kms-key-deletion-window")
    return bool(rule.violations(key, StackView(settings, [key])))


@pytest.mark.parametrize(
    "days",
    [KEY_DELETION_WINDOW_MIN - 1, KEY_DELETION_WINDOW_MIN, KEY_DELETION_WINDOW_MAX, 31],
)
def test_config_component_and_rule_agree_on_the_key_deletion_window(
    days: int, development: EnvironmentSettings
) -> None:
    outside = not KEY_DELETION_WINDOW_MIN <= days <= KEY_DELETION_WINDOW_MAX
    assert refused(lambda: SecurityConfig(days), ProjectConfigError) is outside
    key = lambda: KmsKeyArgs("alias/k", "k", days)  # noqa: E731
    assert refused(key, ValueError) is outside
    assert window_rule_fires(days, development) is outside


def test_production_needs_the_same_window_in_config_and_rule(
    production: EnvironmentSettings,
) -> None:
    shorter = PRODUCTION_KEY_DELETION_WINDOW - 1
    with pytest.raises(ProjectConfigError, match=f"need {PRODUCTION_KEY_DELETION_WINDOW}"):
        SecurityConfig(shorter).check_environment(production)
    assert window_rule_fires(shorter, production)
    assert not window_rule_fires(PRODUCTION_KEY_DELETION_WINDOW, production)


@pytest.mark.parametrize(("port", "service"), sorted(ADMIN_PORTS.items()))
def test_admin_ports_are_refused_by_config_component_and_rule(
    port: int, service: str, development: EnvironmentSettings
) -> None:
    with pytest.raises(ProjectConfigError, match=service):
        ComputeConfig(allowed_cidrs=("10.0.0.0/8",), web_port=port)
    with pytest.raises(ValueError, match=service):
        WebSecurityGroupArgs("vpc-1", "g", "d", (port,), source_cidrs=("10.0.0.0/8",))
    ingress = Resource(
        t.SECURITY_GROUP_INGRESS_RULE,
        "in",
        {"ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": "10.0.0.0/8"},
    )
    rule = rule_by_id("ec2-no-ssh-rdp-ingress")
    assert rule.violations(ingress, StackView(development, [ingress]))


@pytest.mark.parametrize(
    ("region", "valid"),
    [("us-west-2", True), ("us-gov-west-1", True), ("us-west", False), ("US-WEST-2", False)],
)
def test_settings_and_bucket_names_accept_the_same_regions(region: str, valid: bool) -> None:
    assert refused(lambda: parse_region(region, "region"), SettingsError) is not valid
    name = lambda: normalize_bucket_name("app", "dev", "data", "111122223333", region)  # noqa: E731
    assert refused(name, ValueError) is not valid


@pytest.mark.parametrize(
    ("arn", "valid"),
    [
        (KEY_ARN, True),
        (KEY_ARN.replace(":aws:", ":aws-us-gov:"), True),
        (KEY_ARN.replace("key/", "alias/"), False),
        ("0000beef-0000-4000-8000-000000000001", False),
    ],
)
def test_user_data_and_rules_accept_the_same_key_arns(
    arn: str, valid: bool, development: EnvironmentSettings
) -> None:
    app = AppEnvironment("dev", False, "INFO", 80, "us-west-2", "bucket", KEY_ARN)
    assert refused(lambda: dataclasses.replace(app, kms_key_arn=arn), ValueError) is not valid
    # Without the security stack's key in view, the rules accept any customer key ARN.
    volume = Resource(t.INSTANCE, "i", {})
    problem = customer_key_problem(
        volume, StackView(development, [volume]), arn, prop="rootBlockDevice", what="key"
    )
    assert (problem is None) is valid
