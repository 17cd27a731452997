"""Backend and passphrase resolution, and the AWS credential preflight."""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ProfileNotFound

from orchestration.engine.interface import BackendError
from orchestration.preflight import (
    CredentialsError,
    botocore_resolves,
    check_aws_credentials,
)
from orchestration.state.account import AccountMismatch, check_account
from orchestration.state.backend import (
    BACKEND_URL_VAR,
    FALLBACK_SECRETS_VAR,
    SECRETS_PROVIDER_VAR,
    UNDECLARED_BACKEND_VAR,
    local_backend,
    plan_state,
    resolve_backend,
)
from orchestration.state.passphrase import (
    PASSPHRASE_FILE_VAR,
    PASSPHRASE_VAR,
    ensure_generated_passphrase,
)
from shared.settings import EnvironmentSettings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def production_passphrase(production: EnvironmentSettings) -> EnvironmentSettings:
    """Production with its secrets under a passphrase (on an explicit bucket: no AWS lookups)."""
    return dataclasses.replace(
        production,
        state_backend="s3://team-state-bucket?region=us-west-2",
        secrets_provider="passphrase",
    )


# ---- backend ---------------------------------------------------------------------------------


def test_default_is_a_file_backend_in_the_state_dir_with_a_generated_passphrase(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    state = tmp_path / ".pulumi-state"

    backend = resolve_backend(development, environ={}, state_dir=state)

    # Resolving only plans: a run refused by a later check leaves nothing behind.
    assert not state.exists()
    assert backend.url == state.resolve().as_uri()
    assert backend.url.startswith("file:///")
    assert backend.local_default
    assert backend.organization == "organization"
    passphrase = state / "passphrase"
    assert backend.secrets_env == {PASSPHRASE_FILE_VAR: str(passphrase)}
    assert backend.env_vars() == {
        BACKEND_URL_VAR: backend.url,
        FALLBACK_SECRETS_VAR: "true",
        PASSPHRASE_FILE_VAR: str(passphrase),
    }
    assert backend.manual_env() == {
        BACKEND_URL_VAR: backend.url,
        PASSPHRASE_FILE_VAR: str(passphrase),
    }
    assert backend.secrets_provider == "passphrase"
    assert backend.notices == ()

    backend.prepare()

    assert _mode(passphrase) == 0o600
    assert _mode(state) == 0o700
    assert len(passphrase.read_text().strip()) >= 32
    assert sorted(path.name for path in state.iterdir()) == ["passphrase"]


def test_the_generated_passphrase_is_reused(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    first = resolve_backend(development, environ={}, state_dir=tmp_path)
    first.prepare()
    text = (tmp_path / "passphrase").read_text()

    second = resolve_backend(development, environ={}, state_dir=tmp_path)
    second.prepare()

    assert second.secrets_env == first.secrets_env
    assert (tmp_path / "passphrase").read_text() == text


def test_a_lost_passphrase_is_not_replaced_while_stacks_encrypted_with_it_exist(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    first = resolve_backend(development, environ={}, state_dir=tmp_path)
    first.prepare()
    # What a deploy leaves in the local file backend: a checkpoint per stack.
    checkpoint = tmp_path / ".pulumi" / "stacks" / "security" / "development.json"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_text("{}")
    (tmp_path / "passphrase").unlink()

    with pytest.raises(BackendError) as raised:
        resolve_backend(development, environ={}, state_dir=tmp_path)

    message = str(raised.value)
    assert f"{tmp_path / 'passphrase'} is missing" in message
    assert "security/development" in message
    assert "restore the file" in message
    assert PASSPHRASE_VAR in message
    assert not (tmp_path / "passphrase").exists()


def test_concurrent_first_runs_agree_on_one_passphrase(tmp_path: Path) -> None:
    results: list[str] = []
    start = threading.Barrier(4)

    def generate() -> None:
        start.wait()
        results.append(ensure_generated_passphrase(tmp_path).read_text())

    threads = [threading.Thread(target=generate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["passphrase"]


def test_a_passphrase_file_others_can_read_is_refused(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    ensure_generated_passphrase(tmp_path)
    os.chmod(tmp_path / "passphrase", 0o644)

    with pytest.raises(BackendError, match=r"other users can read it \(mode 644\): run `chmod 600"):
        resolve_backend(development, environ={}, state_dir=tmp_path)


def test_the_users_backend_url_is_kept_unchanged(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    url = "s3://team-state-bucket/webapp?region=us-west-2&awssdk=v2"
    environ = {BACKEND_URL_VAR: url, PASSPHRASE_VAR: "team secret"}

    backend = resolve_backend(development, environ=environ, state_dir=tmp_path / "state")

    assert backend.url == url
    assert backend.env_vars()[BACKEND_URL_VAR] == url
    assert not backend.local_default
    assert backend.secrets_env == {}
    # The shell already has the URL; a fresh clone needs the state's own secrets settings.
    assert backend.manual_env() == {FALLBACK_SECRETS_VAR: "true"}
    assert backend.notices == (
        "NOTE: PULUMI_BACKEND_URL overrides the state backend declared in "
        f"shared/environments/development.yaml (local): using {url}",
    )
    backend.prepare()
    assert not (tmp_path / "state").exists()


def test_a_shared_backend_never_gets_a_generated_passphrase(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    environ = {BACKEND_URL_VAR: "s3://team-state-bucket"}

    with pytest.raises(BackendError, match="development is a shared backend: set PULUMI_CONFIG"):
        resolve_backend(development, environ=environ, state_dir=tmp_path / "state")
    assert not (tmp_path / "state").exists()


def test_a_given_passphrase_is_used_and_nothing_is_generated(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    backend = resolve_backend(development, environ={PASSPHRASE_VAR: "mine"}, state_dir=tmp_path)
    backend.prepare()

    assert backend.secrets_env == {}
    assert backend.generated_passphrase is None
    assert not (tmp_path / "passphrase").exists()


def test_production_requires_the_passphrase_and_touches_nothing_without_it(
    production_passphrase: EnvironmentSettings, tmp_path: Path
) -> None:
    state = tmp_path / ".pulumi-state"

    with pytest.raises(BackendError) as caught:
        resolve_backend(production_passphrase, environ={}, state_dir=state)

    message = str(caught.value)
    assert message.startswith(
        "production is a production environment: set PULUMI_CONFIG_PASSPHRASE"
    )
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" in message
    assert not state.exists()


def test_production_refuses_an_empty_passphrase(
    production_passphrase: EnvironmentSettings, tmp_path: Path
) -> None:
    with pytest.raises(BackendError, match="set but empty"):
        resolve_backend(production_passphrase, environ={PASSPHRASE_VAR: ""}, state_dir=tmp_path)


def test_production_accepts_a_passphrase_file(
    production_passphrase: EnvironmentSettings, tmp_path: Path
) -> None:
    secret = tmp_path / "prod-passphrase"
    secret.write_text("correct horse\n")

    backend = resolve_backend(
        production_passphrase, environ={PASSPHRASE_FILE_VAR: str(secret)}, state_dir=tmp_path / "s"
    )

    assert backend.secrets_env == {}
    assert backend.url == "s3://team-state-bucket?region=us-west-2"
    assert backend.manual_env() == {BACKEND_URL_VAR: backend.url, FALLBACK_SECRETS_VAR: "true"}


@pytest.mark.parametrize(("content", "problem"), [(None, "cannot be read"), ("  \n", "is empty")])
def test_a_broken_passphrase_file_is_named(
    production_passphrase: EnvironmentSettings, tmp_path: Path, content: str | None, problem: str
) -> None:
    secret = tmp_path / "prod-passphrase"
    if content is not None:
        secret.write_text(content)

    with pytest.raises(BackendError, match=f"PULUMI_CONFIG_PASSPHRASE_FILE {secret} {problem}"):
        resolve_backend(
            production_passphrase, environ={PASSPHRASE_FILE_VAR: str(secret)}, state_dir=tmp_path
        )


def test_pulumi_cloud_needs_an_organization(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    environ = {BACKEND_URL_VAR: "https://api.pulumi.com", PASSPHRASE_VAR: "x"}

    with pytest.raises(BackendError, match="set PULUMI_ORGANIZATION"):
        resolve_backend(development, environ=environ, state_dir=tmp_path)

    backend = resolve_backend(
        development, environ={**environ, "PULUMI_ORGANIZATION": "acme"}, state_dir=tmp_path
    )
    assert backend.organization == "acme"


# ---- credentials ----------------------------------------------------------------------------


def test_resolving_credentials_pass() -> None:
    seen: list[str] = []

    def resolve(region: str) -> bool:
        seen.append(region)
        return True

    check_aws_credentials("development", "us-west-2", resolve=resolve)
    assert seen == ["us-west-2"]


def test_missing_credentials_are_one_message_pointing_to_the_offline_plan() -> None:
    with pytest.raises(CredentialsError) as caught:
        check_aws_credentials("development", "us-west-2", resolve=lambda _: False)

    message = str(caught.value)
    assert message.startswith("no AWS credentials found for development (us-west-2): set AWS_")
    assert "`invoke plan --env development`" in message
    assert "--endpoint URL" in message
    assert "\n" not in message


def test_a_broken_credential_source_is_named() -> None:
    def broken(_: str) -> bool:
        raise ProfileNotFound(profile="ops")

    with pytest.raises(CredentialsError, match=r"do not resolve \(The config profile \(ops\)"):
        check_aws_credentials("production", "us-west-2", resolve=broken)


@pytest.fixture
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No credential source at all, and no instance metadata lookups (no network)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


def test_botocore_finds_no_credentials_in_an_empty_environment(
    isolated_aws: pytest.MonkeyPatch,
) -> None:
    assert botocore_resolves("us-west-2") is False


def test_botocore_finds_credentials_from_the_environment(isolated_aws: pytest.MonkeyPatch) -> None:
    isolated_aws.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    isolated_aws.setenv("AWS_SECRET_ACCESS_KEY", "example")

    assert botocore_resolves("us-west-2") is True


# ---- declared backends ----------------------------------------------------------------------


def test_production_resolves_its_declared_bucket_and_key_with_the_account(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    asked: list[tuple[str, str | None]] = []

    def account(region: str, endpoint: str | None) -> str:
        asked.append((region, endpoint))
        return "123456789012"

    # Without a declared account the bucket is named for the caller's.
    backend = resolve_backend(
        dataclasses.replace(production, account_id=None),
        environ={},
        state_dir=tmp_path / "state",
        lookup_account=account,
    )

    bucket = "webapp-production-state-123456789012-us-west-2"
    assert asked == [("us-west-2", None)]
    assert backend.url == f"s3://{bucket}?region=us-west-2"
    assert backend.secrets_provider == "awskms://alias/webapp-production-state?region=us-west-2"
    # KMS encrypts the secrets: no passphrase is needed or generated anywhere.
    assert backend.secrets_env == {}
    assert PASSPHRASE_FILE_VAR not in backend.env_vars()
    assert backend.env_vars()[FALLBACK_SECRETS_VAR] == "true"
    assert "AWS_ACCESS_KEY_ID" not in backend.env_vars()
    assert backend.manual_env() == {BACKEND_URL_VAR: backend.url, FALLBACK_SECRETS_VAR: "true"}
    assert backend.location is not None
    assert backend.location.bucket is not None
    assert backend.location.bucket.bucket == bucket
    assert backend.location.key is not None
    assert backend.location.key.key == "alias/webapp-production-state"
    assert backend.config_key is not None
    assert not backend.local_default
    assert backend.notices == ()
    backend.prepare()
    assert not (tmp_path / "state").exists()


def test_the_declared_account_names_the_state_bucket(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    declared = dataclasses.replace(production, account_id="210987654321")

    def no_lookup(region: str, endpoint: str | None) -> str:
        raise AssertionError("the declared account names the bucket; the caller is checked first")

    backend = resolve_backend(
        declared, environ={}, state_dir=tmp_path / "state", lookup_account=no_lookup
    )
    without_lookup = resolve_backend(declared, environ={}, state_dir=tmp_path / "state")

    bucket = "webapp-production-state-210987654321-us-west-2"
    assert backend.url == without_lookup.url == f"s3://{bucket}?region=us-west-2"


def test_a_caller_of_another_account_is_one_line_naming_both_and_what_to_do(
    production: EnvironmentSettings,
) -> None:
    with pytest.raises(AccountMismatch) as refused:
        check_account(production, endpoint=None, lookup=lambda region, endpoint: "210987654321")

    assert str(refused.value) == (
        "production is declared in AWS account 123456789012 (shared/environments/production.yaml"
        ": account_id), but the AWS credentials in use belong to account 210987654321: use "
        "credentials of account 123456789012 (AWS_PROFILE, after `aws sso login` for SSO "
        "profiles, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or correct "
        "shared/environments/production.yaml: account_id; nothing was run"
    )


def test_the_caller_account_is_returned_when_it_matches_or_nothing_is_declared(
    production: EnvironmentSettings, development: EnvironmentSettings
) -> None:
    assert check_account(production, endpoint=None, lookup=lambda r, e: "123456789012") == (
        "123456789012"
    )
    assert check_account(development, endpoint=None, lookup=lambda r, e: "210987654321") == (
        "210987654321"
    )


def test_an_emulator_run_keeps_the_state_there_with_dummy_credentials(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    backend = resolve_backend(
        production,
        environ={},
        state_dir=tmp_path,
        endpoint="http://127.0.0.1:4566",
        lookup_account=lambda region, endpoint: "123456789012",
    )

    assert "endpoint=127.0.0.1:4566" in backend.url
    assert backend.secrets_provider.endswith("&endpoint=http://127.0.0.1:4566")
    assert backend.emulated
    env = backend.env_vars()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
    assert env["AWS_RESPONSE_CHECKSUM_VALIDATION"] == "when_required"


def test_overrides_replace_the_declaration_and_say_so(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    url = (tmp_path / "elsewhere").as_uri()
    environ = {
        BACKEND_URL_VAR: url,
        SECRETS_PROVIDER_VAR: "passphrase",
        PASSPHRASE_VAR: "override passphrase",
    }

    def no_lookup(region: str, endpoint: str | None) -> str:
        raise AssertionError("an overridden backend needs no account id")

    backend = resolve_backend(
        production, environ=environ, state_dir=tmp_path / "state", lookup_account=no_lookup
    )

    assert backend.url == url
    assert backend.secrets_provider == "passphrase"
    # Nothing declared is checked or bootstrapped for what the overrides replaced.
    assert backend.location is not None
    assert (backend.location.bucket, backend.location.key) == (None, None)
    assert backend.notices == (
        "NOTE: PULUMI_BACKEND_URL overrides the state backend declared in "
        f"shared/environments/production.yaml (s3): using {url}",
        "NOTE: WEBAPP_SECRETS_PROVIDER overrides the secrets provider declared in "
        "shared/environments/production.yaml (awskms): using passphrase",
    )
    assert backend.manual_env() == {FALLBACK_SECRETS_VAR: "true"}


def test_the_undeclared_backend_serves_only_environments_that_declare_none(
    development: EnvironmentSettings, production: EnvironmentSettings, tmp_path: Path
) -> None:
    shared = (tmp_path / "team-state").as_uri()
    environ = {UNDECLARED_BACKEND_VAR: shared, PASSPHRASE_VAR: "team secret"}

    undeclared = resolve_backend(development, environ=environ, state_dir=tmp_path / "state")
    declared = resolve_backend(
        production,
        environ=environ,
        state_dir=tmp_path / "state",
        lookup_account=lambda region, endpoint: "123456789012",
    )

    assert undeclared.url == shared
    assert not undeclared.local_default
    assert undeclared.notices == (
        "NOTE: shared/environments/development.yaml declares no state backend: using "
        f"{UNDECLARED_BACKEND_VAR} ({shared})",
    )
    # Production's declaration wins, silently: the variable is not an override.
    assert declared.url == "s3://webapp-production-state-123456789012-us-west-2?region=us-west-2"
    assert declared.notices == ()


def test_a_github_runner_refuses_to_keep_state_on_its_disk(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    with pytest.raises(BackendError) as raised:
        resolve_backend(development, environ={"GITHUB_ACTIONS": "true"}, state_dir=tmp_path)

    message = str(raised.value)
    assert "development would keep its state on this GitHub Actions runner" in message
    assert "shared/environments/development.yaml" in message
    assert UNDECLARED_BACKEND_VAR in message
    assert not any(tmp_path.iterdir())


def test_an_override_equal_to_the_declaration_is_not_announced(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    backend = resolve_backend(
        development, environ={SECRETS_PROVIDER_VAR: "passphrase"}, state_dir=tmp_path
    )

    assert backend.notices == ()
    assert backend.local_default


def test_a_bad_override_of_the_secrets_provider_is_one_message(
    development: EnvironmentSettings, tmp_path: Path
) -> None:
    with pytest.raises(
        BackendError, match=r"^WEBAPP_SECRETS_PROVIDER: secrets_provider 'vault://x'"
    ):
        resolve_backend(
            development, environ={SECRETS_PROVIDER_VAR: "vault://x"}, state_dir=tmp_path
        )


def test_a_bad_declaration_is_a_backend_error_before_any_lookup(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    broken = dataclasses.replace(production, secrets_provider="awskms://alias/k?region=eu-west-1")

    with pytest.raises(BackendError, match="a KMS key in eu-west-1, but production deploys"):
        plan_state(broken, {})


@pytest.mark.parametrize(
    ("declared", "environ", "uses_aws"),
    [
        ({}, {}, False),
        ({"state_backend": "s3"}, {}, True),
        ({"secrets_provider": "awskms"}, {}, True),
        ({"state_backend": "s3"}, {BACKEND_URL_VAR: "file:///tmp/x"}, False),
        ({}, {BACKEND_URL_VAR: "s3://team-state"}, True),
        ({"secrets_provider": "awskms"}, {SECRETS_PROVIDER_VAR: "passphrase"}, False),
        ({}, {SECRETS_PROVIDER_VAR: "awskms"}, True),
    ],
)
def test_whether_the_state_needs_aws_credentials(
    make_settings: Callable[..., EnvironmentSettings],
    declared: dict[str, str],
    environ: dict[str, str],
    uses_aws: bool,
) -> None:
    assert plan_state(make_settings(**declared), environ).uses_aws is uses_aws


def test_the_derived_bucket_cannot_be_resolved_without_an_account_lookup(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    undeclared = dataclasses.replace(production, account_id=None)
    with pytest.raises(BackendError, match="needs the AWS account id"):
        resolve_backend(undeclared, environ={}, state_dir=tmp_path)


def test_the_local_backend_of_a_declared_environment_is_still_readable(
    production: EnvironmentSettings, tmp_path: Path
) -> None:
    backend = local_backend(production, environ={PASSPHRASE_VAR: "old"}, state_dir=tmp_path)

    assert backend.local_default
    assert backend.url == tmp_path.resolve().as_uri()
    assert backend.secrets_provider == "passphrase"
    assert backend.config_key is None
