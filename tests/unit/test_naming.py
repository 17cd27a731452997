"""Naming: every physical name is valid for AWS or refused with the reason."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import naming
from shared.settings import EnvironmentSettings

ACCOUNT = "123456789012"
REGION = "us-west-2"
SettingsFactory = Callable[..., EnvironmentSettings]


def test_regression_uppercase_app_name_gave_invalid_bucket_name(
    make_settings: SettingsFactory,
) -> None:
    """The paid-for lesson: 'WebApp' once produced a name AWS refused with InvalidBucketName."""
    name = naming.bucket_name(make_settings(app="WebApp"), "Assets", ACCOUNT)
    assert name == "webapp-development-assets-123456789012-us-west-2"
    assert naming.bucket_name_problems(name) == []


def test_logical_names_follow_app_env_component(development: EnvironmentSettings) -> None:
    assert naming.logical_name(development, "key") == "webapp-development-key"
    assert naming.logical_name(development, "Web Server") == "webapp-development-web-server"


def test_logical_name_needs_letters_or_digits(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValueError, match="at least one letter or digit"):
        naming.logical_name(make_settings(app="!!!"), "key")


def test_tags_carry_the_required_keys(production: EnvironmentSettings) -> None:
    assert naming.tags(production, "storage") == {
        "Project": "webapp",
        "Environment": "production",
        "Component": "storage",
        "Owner": production.owner,
        "Team": production.team,
        "ManagedBy": "pulumi",
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("", "v", "must be 1-127 characters"),
        ("k" * 128, "v", "must be 1-127 characters"),
        ("aws:cost", "v", "must not start with 'aws:'"),
        ("AWS:cost", "v", "must not start with 'aws:'"),
        ("Owner", "v" * 257, "at most 256 characters"),
    ],
)
def test_invalid_tags_are_refused(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        naming.check_tag(key, value)


def test_tags_refuse_an_overlong_owner(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValueError, match="'Owner': value must be at most 256"):
        naming.tags(make_settings(owner="o" * 300), "storage")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("ab", "3-63 characters"),
        ("a" * 64, "3-63 characters"),
        ("My-bucket", "only lowercase letters"),
        ("my_bucket", "only lowercase letters"),
        ("-bucket", "begin and end with a letter or digit"),
        ("bucket-", "begin and end with a letter or digit"),
        ("my..bucket", "two adjacent periods"),
        ("my.bucket", "should not contain '.'"),
        ("192.168.5.4", "formatted as an IP address"),
        ("xn--bucket", "reserved prefix 'xn--'"),
        ("sthree-bucket", "reserved prefix 'sthree-'"),
        ("amzn-s3-demo-bucket", "reserved prefix 'amzn-s3-demo-'"),
        ("bucket-s3alias", "reserved suffix '-s3alias'"),
        ("bucket--ol-s3", "reserved suffix '--ol-s3'"),
        ("bucket.mrap", "reserved suffix '.mrap'"),
        ("bucket--x-s3", "reserved suffix '--x-s3'"),
        ("bucket--table-s3", "reserved suffix '--table-s3'"),
        ("bucket-an", "reserved suffix '-an'"),
    ],
)
def test_each_bucket_rule_is_checked(name: str, problem: str) -> None:
    assert any(problem in found for found in naming.bucket_name_problems(name))


@pytest.mark.parametrize("name", ["abc", "my-bucket-1", "a" * 63, "1bucket9"])
def test_valid_bucket_names_have_no_problems(name: str) -> None:
    assert naming.bucket_name_problems(name) == []


@pytest.mark.parametrize(
    ("app", "env", "component", "expected"),
    [
        ("Web App", "dev", "logs", "web-app-dev-logs-123456789012-us-west-2"),
        ("web__app", "dev", "LOGS", "web-app-dev-logs-123456789012-us-west-2"),
        ("xn--shop", "prod", "data", "xn-shop-prod-data-123456789012-us-west-2"),
        ("shop", "prod", "data--ol-s3", "shop-prod-data-ol-s3-123456789012-us-west-2"),
        ("192.168.5.4", "prod", "x", "192-168-5-4-prod-x-123456789012-us-west-2"),
    ],
)
def test_normaliser_repairs_what_it_can(app: str, env: str, component: str, expected: str) -> None:
    assert naming.normalize_bucket_name(app, env, component, ACCOUNT, REGION) == expected


def test_long_names_are_cut_with_a_hash_so_they_stay_unique() -> None:
    first = naming.normalize_bucket_name("a" * 80 + "x", "prod", "data", ACCOUNT, REGION)
    second = naming.normalize_bucket_name("a" * 80 + "y", "prod", "data", ACCOUNT, REGION)
    assert len(first) == len(second) == 63
    assert first != second
    assert naming.bucket_name_problems(first) == naming.bucket_name_problems(second) == []


def test_names_are_unique_per_account_and_region() -> None:
    names = {
        naming.normalize_bucket_name("shop", "prod", "data", account, region)
        for account in (ACCOUNT, "210987654321")
        for region in (REGION, "eu-west-1")
    }
    assert len(names) == 4


@pytest.mark.parametrize(
    ("app", "account", "region", "message"),
    [
        ("---", ACCOUNT, REGION, "at least one letter or digit"),
        ("shop", "12345", REGION, "account id '12345' must be 12 digits"),
        ("shop", ACCOUNT, "west", "is not an AWS region code"),
        ("sthree", ACCOUNT, REGION, "reserved prefix 'sthree-'"),
        ("amzn-s3-demo", ACCOUNT, REGION, "reserved prefix 'amzn-s3-demo-'"),
    ],
)
def test_normaliser_refuses_what_it_cannot_repair(
    app: str, account: str, region: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        naming.normalize_bucket_name(app, "prod", "data", account, region)


@given(
    app=st.text(max_size=80),
    env=st.text(max_size=20),
    component=st.text(max_size=40),
    account=st.from_regex(r"\A\d{12}\Z"),
    region=st.sampled_from(["us-west-2", "eu-central-1", "us-gov-west-1", "ap-south-2"]),
)
def test_any_input_gives_a_valid_name_or_a_value_error(
    app: str, env: str, component: str, account: str, region: str
) -> None:
    try:
        name = naming.normalize_bucket_name(app, env, component, account, region)
    except ValueError:
        return
    assert naming.bucket_name_problems(name) == []
    assert name == naming.normalize_bucket_name(app, env, component, account, region)


def test_kms_alias_is_within_the_alias_rules(make_settings: SettingsFactory) -> None:
    alias = naming.kms_alias(make_settings(app="Shop " * 80), "key")
    assert re.fullmatch(r"alias/[A-Za-z0-9/_-]{1,250}", alias)
    assert not alias.startswith("alias/aws/")
    assert naming.kms_alias(make_settings(), "key") == "alias/webapp-development-key"


def test_the_state_bucket_and_key_are_per_environment_account_and_region(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()
    bucket = naming.state_bucket_name(settings, "123456789012")
    assert bucket == "webapp-development-state-123456789012-us-west-2"
    assert naming.state_bucket_name(settings, "123456789012", "eu-west-1").endswith("eu-west-1")
    production = make_settings(environment="production")
    assert naming.state_bucket_name(production, "123456789012") != bucket
    # Never the application's own bucket or key.
    assert bucket != naming.bucket_name(settings, "data", "123456789012")
    assert naming.state_key_alias(settings) == "alias/webapp-development-state"
    long_app = make_settings(app="Shop With A Very Long Name " * 4)
    assert naming.bucket_name_problems(naming.state_bucket_name(long_app, "123456789012")) == []


def test_iam_names_fit_their_limits(make_settings: SettingsFactory) -> None:
    settings = make_settings(app="a-very-long-application-name-for-the-platform")
    role = naming.iam_role_name(settings, "web-server-instance-role")
    profile = naming.instance_profile_name(settings, "web-server-instance-role")
    assert len(role) == 64
    assert re.fullmatch(r"[\w+=,.@-]+", role)
    assert profile == naming.logical_name(settings, "web-server-instance-role")
    assert naming.iam_role_name(make_settings(), "web") == "webapp-development-web"


def test_security_groups_get_a_name_prefix_the_provider_makes_unique(
    make_settings: SettingsFactory,
) -> None:
    # A fixed name would collide with the group a replacement is made to replace
    # (InvalidGroup.Duplicate): a description or VPC change creates the new group first.
    assert naming.security_group_name_prefix(make_settings(), "web") == "webapp-development-web-"
    long_prefix = naming.security_group_name_prefix(make_settings(app="x" * 300), "web")
    assert len(long_prefix) + naming.NAME_PREFIX_SUFFIX_LENGTH == naming.SECURITY_GROUP_NAME_MAX
    assert long_prefix.endswith("-")
    with pytest.raises(ValueError, match="must not start with 'sg-'"):
        naming.security_group_name_prefix(make_settings(app="SG"), "web")


def test_name_prefixes_leave_room_for_the_unique_suffix(make_settings: SettingsFactory) -> None:
    settings = make_settings(app="storefront-" * 20)
    for limit in (128, 255):
        prefix = naming.name_prefix(settings, "web", limit)
        assert len(prefix) + naming.NAME_PREFIX_SUFFIX_LENGTH <= limit
        assert prefix.endswith("-")
    assert naming.name_prefix(make_settings(), "web", 128) == "webapp-development-web-"


@given(app=st.text(min_size=1, max_size=300), component=st.text(min_size=1, max_size=80))
def test_iam_and_alias_names_are_always_valid_or_refused(app: str, component: str) -> None:
    settings = EnvironmentSettings("dev", app, REGION, "o", "t", False, False, "INFO")
    try:
        role = naming.iam_role_name(settings, component)
        alias = naming.kms_alias(settings, component)
    except ValueError:
        return
    assert re.fullmatch(r"[\w+=,.@-]{1,64}", role)
    assert re.fullmatch(r"alias/[A-Za-z0-9/_-]{1,250}", alias)


def test_load_balancer_names_leave_room_for_pulumis_random_suffix(
    make_settings: SettingsFactory,
) -> None:
    # The logical name Pulumi auto-names from: `<name>-<7 random>` must fit AWS's 32 characters,
    # and a replacement gets a new suffix (names are unique per account and region).
    assert naming.load_balancer_name(make_settings(), "web") == "webapp-development-web"
    long_name = naming.load_balancer_name(make_settings(app="storefront-platform"), "web-targets")
    assert len(long_name) + naming.AUTONAME_SUFFIX_LENGTH == naming.LOAD_BALANCER_NAME_MAX
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", long_name)
    with pytest.raises(ValueError, match="must not start with 'internal-'"):
        naming.load_balancer_name(make_settings(app="Internal"), "web")
