"""`invoke bootstrap` against moto's server: what it creates, read back with boto3, and refusals."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from invoke import Collection, Program

import tasks
from orchestration import state_commands
from orchestration.engine.interface import OrchestrationError
from orchestration.state.account import AccountMismatch
from orchestration.state.bootstrap.judge import BOOTSTRAP_MARK
from orchestration.state.bootstrap.run import BootstrapRefused, run_bootstrap
from shared.naming import state_bucket_name, state_key_alias
from shared.settings import EnvironmentSettings
from tests.moto_server import MOTO_ACCOUNT
from tests.state.conftest import OTHER_ACCOUNT

REGION = "us-west-2"


def bootstrap(endpoint: str, *, check: bool = False, environment: str = "production") -> str:
    out = io.StringIO()
    code = state_commands.bootstrap(environment, endpoint=endpoint, check=check, out=out)
    return f"{code}\n{out.getvalue()}"


def names(production: EnvironmentSettings) -> tuple[str, str]:
    return state_bucket_name(production, MOTO_ACCOUNT), state_key_alias(production)


def bucket_configuration(s3: Any, bucket: str) -> dict[str, Any]:
    """Everything bootstrap sets on the bucket, as S3 reports it."""

    def read(method: str, field: str) -> Any:
        try:
            return getattr(s3, method)(Bucket=bucket)[field]
        except ClientError as error:
            return error.response["Error"]["Code"]

    return {
        "versioning": read("get_bucket_versioning", "Status"),
        "encryption": read("get_bucket_encryption", "ServerSideEncryptionConfiguration"),
        "public_access": read("get_public_access_block", "PublicAccessBlockConfiguration"),
        "ownership": read("get_bucket_ownership_controls", "OwnershipControls"),
        "policy": read("get_bucket_policy", "Policy"),
        "lifecycle": read("get_bucket_lifecycle_configuration", "Rules"),
        "tags": read("get_bucket_tagging", "TagSet"),
    }


def test_bootstrap_creates_a_bucket_and_key_that_meet_every_requirement(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, alias = names(production)

    report = bootstrap(endpoint)

    assert report.startswith("0\n")
    assert f"created    secrets key {alias}" in report
    assert f"created    state bucket {bucket}" in report
    kms, s3 = aws("kms"), aws("s3")
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert (key["KeyManager"], key["KeyState"], key["KeySpec"]) == (
        "CUSTOMER",
        "Enabled",
        "SYMMETRIC_DEFAULT",
    )
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    assert tags["ManagedBy"] == BOOTSTRAP_MARK
    assert tags["Environment"] == "production"

    config = bucket_configuration(s3, bucket)
    assert config["versioning"] == "Enabled"
    [rule] = config["encryption"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key["Arn"],
    }
    assert rule["BucketKeyEnabled"] is True
    assert config["public_access"] == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
        True,
    )
    assert config["ownership"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    [statement] = json.loads(config["policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    [lifecycle] = config["lifecycle"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert lifecycle["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    assert {"Key": "ManagedBy", "Value": BOOTSTRAP_MARK} in config["tags"]
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGION


def test_a_second_run_changes_nothing_and_says_so(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, _ = names(production)
    bootstrap(endpoint)
    before = bucket_configuration(aws("s3"), bucket)
    keys = aws("kms").list_keys()["Keys"]

    again = bootstrap(endpoint)

    assert again.startswith("0\n")
    assert "Nothing changed: everything was already in place." in again
    assert "unchanged  secrets key" in again
    assert "unchanged  state bucket" in again
    assert "created" not in again
    assert bucket_configuration(aws("s3"), bucket) == before
    assert aws("kms").list_keys()["Keys"] == keys


def test_check_reports_without_creating_anything(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, alias = names(production)

    missing = bootstrap(endpoint, check=True)

    assert missing.startswith("1\n")
    assert f"missing      secrets key {alias}" in missing
    assert f"missing      state bucket {bucket}" in missing
    assert f"need `invoke bootstrap --env production --endpoint {endpoint}`" in missing
    assert aws("s3").list_buckets()["Buckets"] == []
    assert aws("kms").list_keys()["Keys"] == []
    bootstrap(endpoint)
    ready = bootstrap(endpoint, check=True)
    assert ready.startswith("0\n")
    assert "Ready: everything the declaration names is in place" in ready


def test_a_bucket_of_another_account_is_refused_and_nothing_is_created(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, _ = names(production)
    role = "arn:aws:iam::111111111111:role/other-team"
    other = aws("sts").assume_role(RoleArn=role, RoleSessionName="squatter")["Credentials"]
    foreign = aws(
        "s3",
        aws_access_key_id=other["AccessKeyId"],
        aws_secret_access_key=other["SecretAccessKey"],
        aws_session_token=other["SessionToken"],
    )
    foreign.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

    with pytest.raises(BootstrapRefused) as refused:
        bootstrap(endpoint)

    message = str(refused.value)
    assert f"state bucket {bucket} exists but is owned by another AWS account" in message
    assert "nothing was changed" in message
    assert "\n" not in message
    assert aws("kms").list_keys()["Keys"] == []


def test_a_caller_in_another_account_is_refused_before_anything_is_created(
    endpoint: str,
    aws: Any,
    production: EnvironmentSettings,
    caller_in: Any,
    credentials_in: Any,
) -> None:
    assert production.account_id == MOTO_ACCOUNT

    with pytest.raises(AccountMismatch) as refused:
        state_commands.bootstrap(
            "production",
            endpoint=endpoint,
            out=io.StringIO(),
            lookup_account=caller_in(OTHER_ACCOUNT),
        )

    message = str(refused.value)
    assert message.startswith(
        f"production is declared in AWS account {MOTO_ACCOUNT} "
        "(shared/environments/production.yaml: account_id), but the emulator at "
        f"{endpoint} answers as account {OTHER_ACCOUNT}: "
    )
    assert message.endswith("nothing was run")
    assert "\n" not in message
    for account in (MOTO_ACCOUNT, OTHER_ACCOUNT):
        credentials = credentials_in(account)
        assert aws("s3", **credentials).list_buckets()["Buckets"] == []
        assert aws("kms", **credentials).list_keys()["Keys"] == []


def test_a_caller_in_the_declared_account_bootstraps_it(
    endpoint: str, aws: Any, production: EnvironmentSettings, caller_in: Any
) -> None:
    bucket, _ = names(production)

    report = io.StringIO()
    code = state_commands.bootstrap(
        "production", endpoint=endpoint, out=report, lookup_account=caller_in(MOTO_ACCOUNT)
    )

    assert code == 0
    assert f"(account {MOTO_ACCOUNT}, {REGION};" in report.getvalue()
    assert [b["Name"] for b in aws("s3").list_buckets()["Buckets"]] == [bucket]


def test_each_environment_bootstraps_in_its_own_account(
    endpoint: str,
    aws: Any,
    production: EnvironmentSettings,
    caller_in: Any,
    credentials_in: Any,
) -> None:
    # Development declares no account: its state goes to the account of the caller's credentials.
    development = dataclasses.replace(
        production, environment="development", production=False, account_id=None
    )
    other = credentials_in(OTHER_ACCOUNT)

    def other_client(service: str, region: str | None, endpoint: str | None) -> Any:
        return aws(service, **other)

    run_bootstrap(
        development,
        endpoint=endpoint,
        out=io.StringIO(),
        client=other_client,
        lookup_account=caller_in(OTHER_ACCOUNT),
    )
    bootstrap(endpoint)

    own = [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]
    theirs = [b["Name"] for b in aws("s3", **other).list_buckets()["Buckets"]]
    assert own == [state_bucket_name(production, MOTO_ACCOUNT)]
    assert theirs == [state_bucket_name(development, OTHER_ACCOUNT)]


def test_an_existing_weaker_bucket_is_refused_saying_what_differs(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, _ = names(production)
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    before = bucket_configuration(s3, bucket)

    with pytest.raises(BootstrapRefused) as refused:
        bootstrap(endpoint)

    message = str(refused.value)
    assert f"state bucket {bucket} exists without the settings bootstrap requires" in message
    assert "s3-bucket-versioning:" in message
    assert "'Suspended'" in message
    assert "s3-bucket-public-access-block: has no public access block" in message
    assert "s3-bucket-tls-only" in message
    assert aws("kms").list_keys()["Keys"] == []
    assert bucket_configuration(s3, bucket) == before


def test_a_key_without_rotation_that_bootstrap_did_not_make_is_refused(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    _, alias = names(production)
    kms = aws("kms")
    key = kms.create_key(Description="made by hand")["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])

    with pytest.raises(BootstrapRefused, match=r"kms-key-rotation: .*rotation"):
        bootstrap(endpoint)

    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    assert aws("s3").list_buckets()["Buckets"] == []


def test_what_differs_on_its_own_bucket_is_put_back_and_reported(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, _ = names(production)
    bootstrap(endpoint)
    s3 = aws("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=bucket)

    repaired = bootstrap(endpoint)

    assert f"changed    state bucket {bucket}: put back:" in repaired
    config = bucket_configuration(s3, bucket)
    assert config["versioning"] == "Enabled"
    assert all(config["public_access"].values())
    assert "Nothing changed" not in repaired


def test_an_adopted_bucket_keeps_its_settings_and_gets_the_configured_retention(
    endpoint: str, aws: Any, production: EnvironmentSettings
) -> None:
    bucket, _ = names(production)
    bootstrap(endpoint)
    s3 = aws("s3")
    s3.delete_bucket_tagging(Bucket=bucket)  # now a bucket bootstrap did not make
    shorter = dataclasses.replace(production, state_history_days=30)

    out = io.StringIO()
    run_bootstrap(shorter, endpoint=endpoint, out=out)

    assert (
        f"changed    state bucket {bucket}: old checkpoint versions expire after 30 days "
        "(was 90 days)" in out.getvalue()
    )
    [rule] = bucket_configuration(s3, bucket)["lifecycle"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    again = io.StringIO()
    run_bootstrap(shorter, endpoint=endpoint, out=again)
    assert (
        f"unchanged  state bucket {bucket} (adopted, meets every requirement)" in again.getvalue()
    )


def test_an_environment_without_a_declaration_gets_its_roles_but_no_state(
    endpoint: str, aws: Any
) -> None:
    report = bootstrap(endpoint, environment="development")

    assert report.startswith("0\nBootstrap of development")
    assert "state_backend: local, secrets_provider: passphrase" in report
    assert "No shared state: development keeps its state in .pulumi-state/" in report
    assert "secrets key" not in report
    assert aws("s3").list_buckets()["Buckets"] == []
    assert aws("kms").list_keys()["Keys"] == []


def test_the_invoke_task_bootstraps_and_checks(
    endpoint: str, aws: Any, production: EnvironmentSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    program = Program(namespace=Collection.from_module(tasks), version="test")

    def invoke(*argv: str) -> int:
        try:
            program.run(["invoke", *argv])
        except SystemExit as exited:
            return int(exited.code or 0)
        return 0

    assert invoke("bootstrap", "--env", "production", "--endpoint", endpoint, "--check") == 1
    assert invoke("bootstrap", "--env", "production", "--endpoint", endpoint) == 0
    assert invoke("bootstrap", "--env", "production", "--endpoint", endpoint, "--check") == 0
    bucket, _ = names(production)
    assert [b["Name"] for b in aws("s3").list_buckets()["Buckets"]] == [bucket]
    assert invoke("bootstrap", "--env", "production", "--endpoint", "localhost:1") == 1
    assert "'localhost:1' is not a URL" in capsys.readouterr().err


def test_an_unknown_environment_is_refused_before_aws(endpoint: str) -> None:
    with pytest.raises(OrchestrationError, match="unknown environment 'staging'"):
        state_commands.bootstrap("staging", endpoint=endpoint)
