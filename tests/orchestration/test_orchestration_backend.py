"""Backend and passphrase resolution, and the AWS credential preflight."""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
from pathlib import Path

import pytest
from botocore.exceptions import ProfileNotFound

from orchestration.backend import (
    BACKEND_URL_VAR,
    FALLBACK_SECRETS_VAR,
    PASSPHRASE_FILE_VAR,
    PASSPHRASE_VAR,
    BackendError,
    ensure_generated_passphrase,
    resolve_backend,
)
from orchestration.credentials import (
    CredentialsError,
    botocore_resolves,
    check_aws_credentials,
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
