"""Environment settings: the single source of truth, and every way it can be wrong."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.settings import (
    COMMON_FILE,
    EnvironmentSettings,
    SettingsError,
    known_environments,
    load_settings,
    overridden_settings,
    parse_bool,
    parse_settings,
)

VALID: dict[str, Any] = {
    "app": "webapp",
    "region": "us-west-2",
    "owner": "owner@example.com",
    "team": "web",
    "production": False,
    "debug": "yes",
    "log_level": "info",
}
COMMON = "app: shop\nregion: eu-west-1\nowner: o\n"

# (common.yaml text, {environment: its file's text}) -> load_settings over those files.
SettingsFiles = Callable[[str, dict[str, str]], Callable[[str], EnvironmentSettings]]


@pytest.fixture
def settings_files(tmp_path: Path) -> SettingsFiles:
    """Writes a common file and environment files under tmp_path; returns their loader."""

    def write(common: str, environments: dict[str, str]) -> Callable[[str], EnvironmentSettings]:
        (tmp_path / "common.yaml").write_text(common)
        environments_dir = tmp_path / "environments"
        environments_dir.mkdir()
        for name, text in environments.items():
            (environments_dir / f"{name}.yaml").write_text(text)
        return lambda environment: load_settings(
            environment, common_file=tmp_path / "common.yaml", environments_dir=environments_dir
        )

    return write


def test_shipped_environments_load_with_the_expected_values() -> None:
    development = load_settings("development")
    production = load_settings("production")
    assert known_environments() == ("development", "production")
    assert (development.production, development.debug, development.log_level) == (
        False,
        True,
        "DEBUG",
    )
    assert (production.production, production.debug, production.log_level) == (
        True,
        False,
        "WARNING",
    )
    assert development.region == production.region == "us-west-2"
    assert development.app == production.app
    # AWS's documentation example account (moto's default): README says to put yours there.
    assert (development.account_id, production.account_id) == (None, "123456789012")


def test_region_string_appears_in_exactly_one_config_file() -> None:
    config_root = COMMON_FILE.parent.parent
    holders = [
        path
        for path in config_root.rglob("*.yaml")
        if "us-west-2" in path.read_text(encoding="utf-8")
    ]
    assert holders == [COMMON_FILE]


def test_unknown_environment_lists_the_known_ones() -> None:
    with pytest.raises(
        SettingsError, match=r"unknown environment 'staging'.*development, production"
    ) as caught:
        load_settings("staging")
    assert str(caught.value).endswith("(add shared/environments/staging.yaml to create it)")


@pytest.mark.parametrize("name", ["../../etc", "Staging", "a/b", ""])
def test_an_invalid_name_is_not_offered_as_a_file_to_create(name: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(name)

    message = str(caught.value)
    assert "add shared/environments" not in message
    assert message.endswith("(a name is 1-16 lowercase letters or digits, starting with a letter)")


def test_a_new_environment_is_one_file(settings_files: SettingsFiles) -> None:
    load = settings_files(
        COMMON, {"staging": "production: false\nteam: t\ndebug: false\nlog_level: Error\n"}
    )
    assert load("staging") == EnvironmentSettings(
        environment="staging",
        app="shop",
        region="eu-west-1",
        owner="o",
        team="t",
        production=False,
        debug=False,
        log_level="ERROR",
    )


def test_environment_file_overrides_common_values(settings_files: SettingsFiles) -> None:
    load = settings_files(
        COMMON, {"qa": "app: shop-qa\nproduction: false\nteam: t\ndebug: 0\nlog_level: info\n"}
    )
    assert load("qa").app == "shop-qa"


@pytest.mark.parametrize(
    ("common", "message"),
    [
        ("- a list\n", "must hold a mapping"),
        ("key: [unclosed\n", "not valid YAML"),
        # An empty environment file: the message lists what is missing.
        (COMMON, r"missing setting\(s\): team, production, debug"),
    ],
)
def test_unusable_files_are_refused(
    settings_files: SettingsFiles, common: str, message: str
) -> None:
    load = settings_files(common, {"dev": ""})
    with pytest.raises(SettingsError, match=message):
        load("dev")


def test_a_setting_written_twice_is_refused(settings_files: SettingsFiles) -> None:
    # Issue 21: `production: false` appended to production's file switched its protection off.
    load = settings_files(
        COMMON,
        {"prod": "production: true\nteam: t\ndebug: no\nlog_level: info\nproduction: false\n"},
    )
    with pytest.raises(
        SettingsError, match=r"prod\.yaml: duplicate key 'production' on lines 1 and 5"
    ):
        load("prod")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"log_level": "verbose"}, "'verbose' is not a log level; use one of DEBUG, INFO"),
        ({"log_level": ""}, "is not a log level"),
        ({"debug": "maybe"}, "debug: 'maybe' is not a boolean"),
        ({"debug": 2}, "debug: 2 is not a boolean"),
        ({"production": "sometimes"}, "production: 'sometimes' is not a boolean"),
        ({"region": "US-WEST-2"}, "is not an AWS region code"),
        ({"region": "us-west"}, "is not an AWS region code"),
        ({"region": "uswest2"}, "is not an AWS region code"),
        ({"app": ""}, "app: must be a non-empty string"),
        ({"owner": 42}, "owner: must be a non-empty string"),
        ({"colour": "blue"}, "unknown setting\\(s\\): colour"),
        ({"state_backend": ""}, "state_backend: must be a non-empty string"),
        ({"secrets_provider": 7}, "secrets_provider: must be a non-empty string"),
        ({"state_history_days": "90"}, "state_history_days: '90' is not a whole number of days"),
        ({"state_history_days": True}, "is not a whole number of days"),
        ({"state_history_days": 0}, "state_history_days: 0 must be between 1 and 3650 days"),
        ({"state_history_days": 3651}, "must be between 1 and 3650 days"),
        (
            {"production": True, "debug": "true"},
            "production environment and must not run with debug",
        ),
        ({"account_id": "12345678901"}, "account_id: '12345678901' is not an AWS account id"),
        ({"account_id": "1234567890123"}, "is not an AWS account id"),
        ({"account_id": "1234-5678-9012"}, "is not an AWS account id"),
        ({"account_id": ""}, "account_id: '' is not an AWS account id"),
        ({"account_id": True}, "account_id: True is not an AWS account id"),
        # YAML reads an unquoted 010000000000 as an octal number: quoting keeps the digits.
        ({"account_id": 1073741824}, "account_id: 1073741824 is not an AWS account id"),
        ({"account_id": None}, "account_id: None is not an AWS account id"),
        (
            {"production": True, "debug": False},
            r"environment 'development' is a production environment and must name its AWS "
            r"account: add account_id: \"<12 digits>\"",
        ),
    ],
)
def test_invalid_values_are_refused_with_the_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings("development", {**VALID, **change})


def test_the_state_declaration_is_optional_and_kept_as_written() -> None:
    plain = parse_settings("development", VALID)
    assert (plain.state_backend, plain.secrets_provider, plain.state_history_days) == (
        None,
        None,
        None,
    )
    declared = parse_settings(
        "development",
        {
            **VALID,
            "state_backend": " s3 ",
            "secrets_provider": "awskms",
            "state_history_days": 30,
        },
    )
    assert (declared.state_backend, declared.secrets_provider) == ("s3", "awskms")
    assert declared.state_history_days == 30


@pytest.mark.parametrize(
    ("raw", "expected"), [("123456789012", "123456789012"), (" 012345678901 ", "012345678901")]
)
def test_the_account_is_twelve_digits_kept_as_text(raw: object, expected: str) -> None:
    settings = parse_settings("development", {**VALID, "account_id": raw})
    assert settings.account_id == expected


def test_an_unquoted_account_id_reads_as_its_digits(settings_files: SettingsFiles) -> None:
    load = settings_files(
        COMMON,
        {
            "prod": "production: true\nteam: t\ndebug: no\nlog_level: info\n"
            "account_id: 123456789012\n"
        },
    )
    assert load("prod").account_id == "123456789012"


def test_the_account_is_optional_outside_production() -> None:
    assert parse_settings("development", VALID).account_id is None


def test_a_bad_account_id_is_one_line_saying_how_to_write_it() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(
            "production", {**VALID, "production": True, "debug": False, "account_id": 1073741824}
        )
    assert str(caught.value) == (
        "environment 'production': account_id: 1073741824 is not an AWS account id: write its "
        '12 digits in quotes, such as account_id: "123456789012"'
    )


@pytest.mark.parametrize("key", sorted(VALID))
def test_each_missing_key_is_named(key: str) -> None:
    values = {name: value for name, value in VALID.items() if name != key}
    with pytest.raises(SettingsError, match=f"missing setting\\(s\\): {key}"):
        parse_settings("development", values)


@pytest.mark.parametrize("name", ["Prod", "1dev", "", "a-b", "x" * 17])
def test_environment_names_must_be_simple(name: str) -> None:
    with pytest.raises(SettingsError, match="lowercase letters or digits"):
        parse_settings(name, VALID)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        (1, True),
        ("false", False),
        ("No", False),
        ("0", False),
        (0, False),
        (" no ", False),
    ],
)
def test_boolean_words_are_accepted(raw: object, expected: bool) -> None:
    assert parse_bool(raw, "debug") is expected


@pytest.mark.parametrize("level", ["debug", "Info", "WARNING", "error", "critical"])
def test_log_levels_accept_any_case_and_store_upper(level: str) -> None:
    assert parse_settings("development", {**VALID, "log_level": level}).log_level == level.upper()


@pytest.mark.parametrize("region", ["us-west-2", "eu-central-1", "us-gov-west-1", "ap-southeast-4"])
def test_real_region_codes_are_accepted(region: str) -> None:
    assert parse_settings("development", {**VALID, "region": region}).region == region


def test_settings_are_frozen() -> None:
    settings = parse_settings("development", VALID)
    with pytest.raises(AttributeError):
        settings.debug = False  # type: ignore[misc]


def test_an_override_replaces_only_its_own_environment(development: EnvironmentSettings) -> None:
    injected = dataclasses.replace(development, app="WebApp")
    with overridden_settings(injected):
        assert load_settings("development") is injected
        assert load_settings("production").app == "webapp"
    assert load_settings("development").app == "webapp"


def test_a_misspelt_environment_suggests_the_nearest() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings("developmnt")

    assert str(caught.value) == (
        "unknown environment 'developmnt': did you mean 'development'? "
        "(known environments: development, production)"
    )
