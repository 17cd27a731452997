"""The state declaration: every accepted form, what it resolves to, and every refusal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from orchestration.state.declaration import (
    DEFAULT_HISTORY_DAYS,
    BackendKind,
    KmsLocation,
    S3Location,
    SecretsKind,
    StateDeclarationError,
    declared_state,
    kms_location,
    resolve_state,
    s3_location,
    with_kms_endpoint,
    with_s3_endpoint,
)
from shared.settings import EnvironmentSettings, load_settings

ACCOUNT = "123456789012"
Make = Callable[..., EnvironmentSettings]


def test_no_declaration_is_the_local_default_with_a_passphrase(
    development: EnvironmentSettings,
) -> None:
    declaration = declared_state(development)

    assert declaration.backend is BackendKind.LOCAL
    assert declaration.secrets is SecretsKind.PASSPHRASE
    assert declaration.history_days == DEFAULT_HISTORY_DAYS
    assert not declaration.uses_aws
    assert not declaration.needs_account
    assert declaration.describe() == "state_backend: local, secrets_provider: passphrase"
    resolved = resolve_state(declaration, development)
    assert resolved.backend_url is None
    assert resolved.secrets_provider == "passphrase"
    assert (resolved.bucket, resolved.key) == (None, None)


def test_production_ships_the_s3_and_kms_short_forms() -> None:
    production = load_settings("production")
    declaration = declared_state(production)

    assert (declaration.backend, declaration.secrets) == (
        BackendKind.S3_DERIVED,
        SecretsKind.KMS_DERIVED,
    )
    assert declaration.needs_account
    assert declaration.uses_aws
    resolved = resolve_state(declaration, production, account_id=ACCOUNT)
    bucket = f"webapp-production-state-{ACCOUNT}-us-west-2"
    assert resolved.backend_url == f"s3://{bucket}?region=us-west-2"
    assert resolved.secrets_provider == "awskms://alias/webapp-production-state?region=us-west-2"
    assert resolved.bucket == S3Location(bucket=bucket, region="us-west-2")
    assert resolved.key == KmsLocation(key="alias/webapp-production-state", region="us-west-2")
    assert resolved.key.alias == "alias/webapp-production-state"


def test_an_emulator_endpoint_goes_into_both_urls(production: EnvironmentSettings) -> None:
    resolved = resolve_state(
        declared_state(production),
        production,
        account_id=ACCOUNT,
        endpoint="http://127.0.0.1:4566",
    )

    assert resolved.backend_url == (
        f"s3://webapp-production-state-{ACCOUNT}-us-west-2?region=us-west-2"
        "&endpoint=127.0.0.1:4566&s3ForcePathStyle=true&disableSSL=true"
    )
    assert resolved.secrets_provider == (
        "awskms://alias/webapp-production-state?region=us-west-2&endpoint=http://127.0.0.1:4566"
    )
    assert resolved.bucket is not None
    assert resolved.bucket.endpoint == "http://127.0.0.1:4566"
    assert resolved.key is not None
    assert resolved.key.endpoint == "http://127.0.0.1:4566"


def test_the_s3_short_form_needs_the_account(production: EnvironmentSettings) -> None:
    with pytest.raises(StateDeclarationError, match="needs the AWS account id"):
        resolve_state(declared_state(production), production)


def test_explicit_urls_are_used_as_written(make_settings: Make) -> None:
    settings = make_settings(
        state_backend="s3://team-state/webapp?region=eu-west-1",
        secrets_provider="awskms://alias/team?region=us-west-2",
        state_history_days=30,
    )

    declaration = declared_state(settings)
    resolved = resolve_state(declaration, settings)

    assert declaration.backend is BackendKind.S3_URL
    assert declaration.history_days == 30
    assert not declaration.needs_account
    assert resolved.backend_url == "s3://team-state/webapp?region=eu-west-1"
    assert resolved.bucket == S3Location(bucket="team-state", region="eu-west-1", prefix="webapp")
    assert resolved.bucket.key(".pulumi/meta.yaml") == "webapp/.pulumi/meta.yaml"
    assert resolved.secrets_provider == "awskms://alias/team?region=us-west-2"
    assert declaration.describe() == (
        "state_backend: s3://team-state/webapp?region=eu-west-1, "
        "secrets_provider: awskms://alias/team?region=us-west-2"
    )


def test_a_shared_directory_and_key_ids_and_arns_are_accepted(make_settings: Make) -> None:
    arn = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for secrets in (
        f"awskms:///{arn}",
        "awskms://1234abcd-12ab-34cd-56ef-1234567890ab?region=us-west-2&context_team=web",
    ):
        settings = make_settings(state_backend="file:///srv/pulumi", secrets_provider=secrets)
        resolved = resolve_state(declared_state(settings), settings)
        assert resolved.backend_url == "file:///srv/pulumi"
        assert resolved.bucket is None
        assert resolved.key is not None
        assert resolved.key.region == "us-west-2"
        assert resolved.key.alias is None
    assert kms_location(f"awskms:///{arn}").key == arn


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"state_backend": "gs://bucket"}, "is not a backend this repo uses: write local, s3"),
        ({"state_backend": "s3://"}, "the bucket name is missing"),
        ({"state_backend": "s3://Team_State"}, "may contain only lowercase letters"),
        ({"state_backend": "s3://user:pw@team-state"}, "is malformed: write s3://<bucket>"),
        ({"state_backend": "s3://team-state:443"}, "is malformed: write s3://<bucket>"),
        ({"state_backend": "s3://team-state?region=us-west-2&&x"}, "name=value pairs"),
        ({"state_backend": "s3://team state"}, "contains white space"),
        ({"state_backend": "s3://[::1"}, "is malformed: Invalid IPv6 URL"),
        ({"state_backend": "file://"}, "names no directory"),
        # Issue 21: resolved from each command's own working directory, so never the same one.
        ({"state_backend": "file://relstate"}, "names the relative directory 'relstate'"),
        ({"state_backend": "file://./state?x=1"}, "give an absolute path, file:///"),
        ({"state_backend": "file://~team/state"}, "file://~/<path under your home>"),
        ({"secrets_provider": "gcpkms://projects/p/keys/k"}, "the unknown scheme 'gcpkms'"),
        ({"secrets_provider": "hunter2"}, "has no scheme: write passphrase, awskms"),
        ({"secrets_provider": "awskms://alias/team"}, "names no region: add ?region="),
        ({"secrets_provider": "awskms://alias/team?region=us-east-1"}, "a KMS key in us-east-1"),
        ({"secrets_provider": "awskms://alias/t?region=us-west-2&x=1"}, "unknown query param"),
        ({"secrets_provider": "awskms://not a key?region=us-west-2"}, "contains white space"),
        ({"secrets_provider": "awskms://key?region=us-west-2"}, "names no KMS key"),
        (
            {
                "secrets_provider": f"awskms:///arn:aws:kms:us-east-1:{ACCOUNT}:alias/x"
                "?region=us-west-2"
            },
            "the key ARN is in us-east-1 but region=us-west-2",
        ),
    ],
)
def test_a_bad_declaration_is_one_line_naming_the_file(
    make_settings: Make, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(StateDeclarationError) as refused:
        declared_state(make_settings(**changes))

    text = str(refused.value)
    assert text.startswith("shared/environments/development.yaml: ")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize("backend", ["file:///srv/pulumi", "file://~", "file://~/pulumi-state"])
def test_a_file_backend_may_be_absolute_or_under_home(make_settings: Make, backend: str) -> None:
    # Pulumi's DIY backend expands `file://~` to the home directory itself.
    declaration = declared_state(make_settings(state_backend=backend))

    assert (declaration.backend, declaration.backend_url) == (BackendKind.FILE_URL, backend)


@pytest.mark.parametrize("backend", ["local", "file:///srv/pulumi", None])
def test_production_state_must_not_live_on_one_machine(
    production: EnvironmentSettings, backend: str | None
) -> None:
    with pytest.raises(StateDeclarationError, match="must not live on one machine"):
        declared_state(dataclasses.replace(production, state_backend=backend))


def test_endpoints_are_added_once_and_https_keeps_tls() -> None:
    url = "s3://team-state?region=us-west-2"
    assert with_s3_endpoint(url, None) == url
    secure = with_s3_endpoint(url, "https://emulator:4566")
    assert secure == f"{url}&endpoint=emulator:4566&s3ForcePathStyle=true"
    assert with_s3_endpoint(secure, "http://other:1") == secure
    assert s3_location(secure).endpoint == "https://emulator:4566"
    kms = "awskms://alias/k?region=us-west-2"
    assert with_kms_endpoint(kms, None) == kms
    aimed = with_kms_endpoint(kms, "http://127.0.0.1:1/")
    assert aimed == f"{kms}&endpoint=http://127.0.0.1:1"
    assert with_kms_endpoint(aimed, "http://other:2") == aimed
    assert s3_location("s3://bkt?endpoint=h:1&disable_https=true").endpoint == "http://h:1"
    assert s3_location("s3://bkt?endpoint=http://h:2").endpoint == "http://h:2"
