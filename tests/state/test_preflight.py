"""Before a run: the declared state bucket and key must answer, or one message names bootstrap."""

from __future__ import annotations

import dataclasses
import io
import socket
from pathlib import Path
from typing import Any

import pytest

from orchestration import commands, state_commands
from orchestration.engine.cli_engine import AutomationEngine
from orchestration.runner import Orchestrator
from orchestration.state.account import AccountMismatch
from orchestration.state.aws import StateNotReady
from orchestration.state.declaration import StateLocation
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY
from tests.moto_server import MOTO_ACCOUNT
from tests.state.conftest import OTHER_ACCOUNT


def no_cli(tools: Path, progress: Any) -> Path:
    raise AssertionError("the CLI must not be looked for before the state is ready")


NO_CLI = commands.Checks(locate_cli=no_cli)
STATE_BUCKET = "webapp-production-state-123456789012-us-west-2"


def no_state_check(location: StateLocation, environment: str) -> None:
    raise AssertionError("the state must not be looked at before the account is checked")


def no_action(orchestrator: Orchestrator) -> int:
    raise AssertionError("nothing may run for a caller in another account")


def fake_cli(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "tools" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").write_text("#!/bin/sh\necho v3.260.0\n")
    (bin_dir / "pulumi").chmod(0o755)
    return bin_dir


@pytest.fixture
def paths(tmp_path: Path) -> commands.Paths:
    return commands.Paths.for_repo(tmp_path / "repo", pulumi_home=tmp_path / "home")


@pytest.fixture
def repo_paths(paths: commands.Paths) -> commands.Paths:
    """The repo's projects and policy pack, with state and tools kept under tmp_path."""
    repo = commands.Paths.for_repo()
    return dataclasses.replace(paths, projects_dir=repo.projects_dir, policy_pack=repo.policy_pack)


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
    assert "cannot find out which AWS account the credentials belong to" in message
    assert "the environment's account_id is compared with it" in message
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


# What the stack tasks pass to `commands.run` (tasks.py): deploy and preview run programs,
# destroy/refresh/drift/verify reach AWS, outputs only reads the state.
TASK_RUNS = {
    "deploy": {"policy": True, "check_project_knobs": True},
    "destroy": {},
    "outputs": {"aws": False, "read_only": True},
}


@pytest.mark.parametrize("task", sorted(TASK_RUNS))
def test_a_caller_in_another_account_is_refused_before_any_state_is_touched(
    *,
    endpoint: str,
    aws: Any,
    repo_paths: commands.Paths,
    caller_in: Any,
    credentials_in: Any,
    task: str,
) -> None:
    checks = commands.Checks(
        locate_cli=no_cli, lookup_account=caller_in(OTHER_ACCOUNT), check_state=no_state_check
    )

    with pytest.raises(AccountMismatch) as refused:
        commands.run(
            "production",
            no_action,
            endpoint=endpoint,
            paths=repo_paths,
            environ={},
            checks=checks,
            **TASK_RUNS[task],  # type: ignore[arg-type]
        )

    message = str(refused.value)
    assert f"production is declared in AWS account {MOTO_ACCOUNT} " in message
    assert f"answers as account {OTHER_ACCOUNT}" in message
    assert "\n" not in message
    assert not repo_paths.state_dir.exists()
    for account in (MOTO_ACCOUNT, OTHER_ACCOUNT):
        assert aws("s3", **credentials_in(account)).list_buckets()["Buckets"] == []


STATE_OPTIONS: dict[str, dict[str, str]] = {
    "history": {},
    "restore": {"version": "v1"},
    "migrate": {"to": "declared"},
}


@pytest.mark.parametrize("action", sorted(STATE_OPTIONS))
def test_the_state_tasks_refuse_a_caller_in_another_account(
    endpoint: str, repo_paths: commands.Paths, caller_in: Any, action: str
) -> None:
    with pytest.raises(AccountMismatch, match=f"answers as account {OTHER_ACCOUNT}"):
        state_commands.state(
            action,
            "production",
            project=TOPOLOGY.names[0],
            **STATE_OPTIONS[action],  # type: ignore[arg-type]
            endpoint=endpoint,
            paths=repo_paths,
            environ={},
            lookup_account=caller_in(OTHER_ACCOUNT),
            locate_cli=no_cli,
        )
    assert not repo_paths.state_dir.exists()


def test_a_caller_in_the_declared_account_opens_its_state(
    endpoint: str, aws: Any, paths: commands.Paths, caller_in: Any, tmp_path: Path
) -> None:
    state_commands.bootstrap("production", endpoint=endpoint, out=io.StringIO())
    # moto ignores the TLS condition, so the policy would deny the migration journal's read.
    aws("s3").delete_bucket_policy(Bucket=STATE_BUCKET)
    bin_dir = fake_cli(tmp_path)

    orchestrator = commands.open_orchestrator(
        commands.load_environment("production"),
        paths=paths,
        endpoint=endpoint,
        environ={},
        checks=commands.Checks(
            locate_cli=lambda tools, progress: bin_dir, lookup_account=caller_in(MOTO_ACCOUNT)
        ),
    )

    engine = orchestrator.engine
    assert isinstance(engine, AutomationEngine)
    assert (
        f"s3://webapp-production-state-{MOTO_ACCOUNT}-us-west-2?"
        in (engine.env_vars()["PULUMI_BACKEND_URL"])
    )


def test_an_environment_without_an_account_is_not_compared(
    endpoint: str, development: EnvironmentSettings, paths: commands.Paths, tmp_path: Path
) -> None:
    assert development.account_id is None
    bin_dir = fake_cli(tmp_path)

    def no_lookup(region: str, endpoint: str | None) -> str:
        raise AssertionError("no account is declared, so none is looked up")

    orchestrator = commands.open_orchestrator(
        development,
        paths=paths,
        endpoint=endpoint,
        environ={},
        checks=commands.Checks(
            locate_cli=lambda tools, progress: bin_dir, lookup_account=no_lookup
        ),
    )

    assert orchestrator.settings.environment == "development"


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
