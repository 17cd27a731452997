"""Before a run: the declared state bucket and key must answer, or one message names bootstrap."""

from __future__ import annotations

import io
import socket
from pathlib import Path
from typing import Any

import pytest

from orchestration import commands, state_commands
from orchestration.engine.cli_engine import AutomationEngine
from orchestration.state.aws import StateNotReady
from shared.settings import EnvironmentSettings


def no_cli(tools: Path, progress: Any) -> Path:
    raise AssertionError("the CLI must not be looked for before the state is ready")


NO_CLI = commands.Checks(locate_cli=no_cli)
STATE_BUCKET = "webapp-production-state-123456789012-us-west-2"


def fake_cli(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "tools" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").write_text("#!/bin/sh\necho v3.260.0\n")
    (bin_dir / "pulumi").chmod(0o755)
    return bin_dir


@pytest.fixture
def paths(tmp_path: Path) -> commands.Paths:
    return commands.Paths.for_repo(tmp_path / "repo", pulumi_home=tmp_path / "home")


def test_a_run_before_bootstrap_stops_in_preflight_naming_bootstrap(
    endpoint: str, production: EnvironmentSettings, paths: commands.Paths
) -> None:
    with pytest.raises(StateNotReady) as refused:
        commands.open_orchestrator(
            production, paths=paths, endpoint=endpoint, environ={}, checks=NO_CLI
        )

    message = str(refused.value)
    assert message.startswith("the state backend of production is not ready: the state bucket ")
    assert "webapp-production-state-123456789012-us-west-2 does not exist" in message
    assert "the secrets key alias/webapp-production-state (us-west-2) does not exist" in message
    assert f"`invoke bootstrap --env production --endpoint {endpoint}`" in message
    assert "nothing was run" in message
    assert "\n" not in message
    assert not paths.state_dir.exists()


def test_an_unreachable_backend_is_one_message_too(
    production: EnvironmentSettings, paths: commands.Paths
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"

    with pytest.raises(StateNotReady) as refused:
        commands.open_orchestrator(
            production, paths=paths, endpoint=closed, environ={}, checks=NO_CLI
        )

    message = str(refused.value)
    assert "cannot find out which AWS account holds the state" in message
    assert "`invoke bootstrap` creates" in message


def test_a_bootstrapped_environment_opens_with_its_state_at_the_emulator(
    endpoint: str,
    aws: Any,
    production: EnvironmentSettings,
    paths: commands.Paths,
    tmp_path: Path,
) -> None:
    state_commands.bootstrap("production", endpoint=endpoint, out=io.StringIO())
    # moto ignores the TLS condition, so the policy would deny the migration journal's read.
    aws("s3").delete_bucket_policy(Bucket=STATE_BUCKET)
    bin_dir = fake_cli(tmp_path)
    err = io.StringIO()

    orchestrator = commands.open_orchestrator(
        production,
        paths=paths,
        endpoint=endpoint,
        environ={},
        err=err,
        checks=commands.Checks(locate_cli=lambda tools, progress: bin_dir),
    )

    engine = orchestrator.engine
    assert isinstance(engine, AutomationEngine)
    env = engine.env_vars()
    assert env["PULUMI_BACKEND_URL"].startswith(
        "s3://webapp-production-state-123456789012-us-west-2?region=us-west-2&endpoint="
    )
    assert env["AWS_ACCESS_KEY_ID"] == "test"
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in env
    # Generated stack files of a shared backend live apart from the local default's.
    config = engine.stack_config_file("security")
    assert config.parent.parent.parent.name == "backends"
    assert err.getvalue() == ""
    # Nothing local was needed: no passphrase file was generated.
    assert not (paths.state_dir / "passphrase").exists()


def test_an_override_is_announced_before_the_run(
    endpoint: str, production: EnvironmentSettings, paths: commands.Paths, tmp_path: Path
) -> None:
    bin_dir = fake_cli(tmp_path)
    err = io.StringIO()
    environ = {
        "PULUMI_BACKEND_URL": (tmp_path / "mine").as_uri(),
        "WEBAPP_SECRETS_PROVIDER": "passphrase",
        "PULUMI_CONFIG_PASSPHRASE": "mine",
    }

    commands.open_orchestrator(
        production,
        paths=paths,
        endpoint=endpoint,
        environ=environ,
        err=err,
        checks=commands.Checks(locate_cli=lambda tools, progress: bin_dir),
    )

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("NOTE: PULUMI_BACKEND_URL overrides the state backend declared")
    assert lines[1].startswith("NOTE: WEBAPP_SECRETS_PROVIDER overrides the secrets provider")


STATE_BUCKET = "webapp-production-state-123456789012-us-west-2"


def test_a_plain_bucket_of_the_state_buckets_name_is_refused_before_any_run(
    endpoint: str, aws: Any, production: EnvironmentSettings, paths: commands.Paths
) -> None:
    # Someone made the bucket by hand (no versioning, no encryption); the key is bootstrap's.
    aws("s3").create_bucket(
        Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    key = aws("kms").create_key()["KeyMetadata"]["KeyId"]
    aws("kms").enable_key_rotation(KeyId=key)
    aws("kms").create_alias(AliasName="alias/webapp-production-state", TargetKeyId=key)

    with pytest.raises(StateNotReady) as refused:
        commands.open_orchestrator(
            production, paths=paths, endpoint=endpoint, environ={}, checks=NO_CLI
        )

    message = str(refused.value)
    assert f"the state bucket {STATE_BUCKET} exists without the settings" in message
    assert "s3-bucket-versioning" in message
    assert "s3-bucket-encryption-customer-key" in message
    assert "invoke bootstrap --env production" in message
    assert "nothing was run" in message
    assert "\n" not in message


def test_a_disabled_state_key_is_to_be_enabled_not_created(
    endpoint: str, aws: Any, production: EnvironmentSettings, paths: commands.Paths
) -> None:
    state_commands.bootstrap("production", endpoint=endpoint, out=io.StringIO())
    key = aws("kms").describe_key(KeyId="alias/webapp-production-state")["KeyMetadata"]
    aws("kms").disable_key(KeyId=key["KeyId"])

    with pytest.raises(StateNotReady) as refused:
        commands.open_orchestrator(
            production, paths=paths, endpoint=endpoint, environ={}, checks=NO_CLI
        )

    message = str(refused.value)
    assert "is Disabled" in message
    assert (
        f"aws kms enable-key --key-id {key['Arn']} --region us-west-2 --endpoint-url {endpoint}"
        in message
    )
    assert "Create it with" not in message
    assert "nothing was run" in message
