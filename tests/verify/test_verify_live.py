"""`invoke verify` against moto: a compliant environment passes, each break fails its check."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_environment import Deployed, HealthDouble

from orchestration.engine import OrchestrationError
from orchestration.verify.cli import verify_action
from orchestration.verify.runner import (
    HEALTH_CHECK,
    LIVE_RULES,
    CheckResult,
    VerifyError,
    check_health,
    make_session,
    read_deployed,
    run_verify,
)
from shared.settings import EnvironmentSettings


def _run(settings: EnvironmentSettings, deployed: Deployed) -> tuple[int, str]:
    out = io.StringIO()
    code = run_verify(settings, deployed.outputs.get, endpoint=None, out=out)
    return code, out.getvalue()


def _failed(report: str) -> set[str]:
    return {line.split()[1] for line in report.splitlines() if line.startswith("FAIL")}


def test_compliant_environment_passes_every_check(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    code, report = _run(development, deployed)

    assert code == 0, report
    passed = {line.split()[1] for line in report.splitlines() if line.startswith("PASS")}
    assert passed == {*LIVE_RULES, HEALTH_CHECK}
    assert "0 failed" in report


def test_broken_environment_fails_exactly_the_broken_checks(
    development: EnvironmentSettings, deployed: Deployed, health_app: HealthDouble
) -> None:
    kms, s3, ec2 = (deployed.session.client(name) for name in ("kms", "s3", "ec2"))
    kms.disable_key_rotation(KeyId=deployed.key_arn)
    s3.put_public_access_block(
        Bucket=deployed.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    ec2.authorize_security_group_ingress(
        GroupId=deployed.group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
    )
    ec2.modify_instance_metadata_options(InstanceId=deployed.instance_id, HttpTokens="optional")
    health_app.body = {**health_app.body, "debug": not development.debug}

    code, report = _run(development, deployed)

    assert code == 1
    assert _failed(report) == {
        "kms-key-rotation",
        "s3-bucket-public-access-block",
        "ec2-no-ssh-rdp-ingress",
        "ec2-imdsv2-required",
        HEALTH_CHECK,
    }
    assert "restrictPublicBuckets off" in report
    assert "opens SSH (port 22)" in report


def test_bucket_without_encryption_or_tls_policy_fails_those_checks(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    s3 = deployed.session.client("s3")
    s3.delete_bucket_encryption(Bucket=deployed.bucket)
    s3.delete_bucket_policy(Bucket=deployed.bucket)
    s3.put_bucket_versioning(
        Bucket=deployed.bucket, VersioningConfiguration={"Status": "Suspended"}
    )

    code, report = _run(development, deployed)

    assert code == 1
    assert _failed(report) == {
        "s3-bucket-encryption-customer-key",
        "s3-bucket-tls-only",
        "s3-bucket-versioning",
    }


def test_bucket_encrypted_with_another_key_fails(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    kms, s3 = deployed.session.client("kms"), deployed.session.client("s3")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_bucket_encryption(
        Bucket=deployed.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": other,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )

    code, report = _run(development, deployed)

    assert code == 1
    assert _failed(report) == {"s3-bucket-encryption-customer-key"}
    assert "not the security stack's key" in report


def test_missing_bucket_fails_its_read_and_the_rest_still_runs(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    deployed.outputs["storage"]["bucket_name"] = "webapp-development-gone-123456789012"

    code, report = _run(development, deployed)

    assert code == 1
    assert _failed(report) == {"s3-read"}
    assert "kms-key-rotation" in report


def test_missing_stack_names_it_and_the_fix(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    outputs = {k: v for k, v in deployed.outputs.items() if k != "compute"}

    with pytest.raises(VerifyError) as caught:
        run_verify(development, outputs.get, endpoint=None, out=io.StringIO())

    message = str(caught.value)
    assert "stack organization/compute/development does not exist" in message
    assert "invoke deploy --env development" in message


def test_missing_output_is_named(development: EnvironmentSettings, deployed: Deployed) -> None:
    del deployed.outputs["security"]["kms_key_arn"]

    with pytest.raises(VerifyError, match=r"organization/security/development has no output"):
        read_deployed(development, deployed.outputs.get)


def test_missing_credentials_say_how_to_provide_them(
    development: EnvironmentSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)

    with pytest.raises(VerifyError, match="no AWS credentials found: set AWS_PROFILE"):
        make_session(development, None)


def test_emulator_endpoint_uses_dummy_credentials(development: EnvironmentSettings) -> None:
    session = make_session(development, "http://127.0.0.1:4566")

    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "test"
    assert session.region_name == "us-west-2"


def test_endpoint_is_passed_to_every_client(
    development: EnvironmentSettings, deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, Any]] = []
    real_client = boto3.Session.client

    def recording_client(self: boto3.Session, service: str, **kwargs: Any) -> Any:
        seen.append((service, kwargs.get("endpoint_url")))
        kwargs.pop("endpoint_url", None)  # moto intercepts the default endpoints only
        return real_client(self, service, **kwargs)

    monkeypatch.setattr(boto3.Session, "client", recording_client)
    out = io.StringIO()
    code = run_verify(
        development,
        deployed.outputs.get,
        endpoint="http://127.0.0.1:4566",
        out=out,
        session_factory=lambda settings, endpoint: deployed.session,
    )

    assert code == 0, out.getvalue()
    assert {endpoint for _, endpoint in seen} == {"http://127.0.0.1:4566"}
    assert {service for service, _ in seen} == {"s3", "kms", "ec2"}


def test_health_reports_wrong_log_level_and_errors(
    production: EnvironmentSettings,
) -> None:
    def answer(status: int, body: Any) -> Any:
        return lambda url: (status, body if isinstance(body, str) else json.dumps(body))

    good = {"debug": False, "log_level": "warning"}
    assert check_health(production, "http://app", answer(200, good)).passed
    wrong = check_health(production, "http://app/", answer(200, {**good, "log_level": "DEBUG"}))
    assert wrong == CheckResult(
        HEALTH_CHECK, "http://app/health", False, "log_level is 'DEBUG', expected 'WARNING'"
    )
    assert "answered 503" in check_health(production, "http://app", answer(503, "down")).detail
    assert "non-JSON" in check_health(production, "http://app", answer(200, "<html>")).detail


def test_unreachable_app_fails_the_health_check(production: EnvironmentSettings) -> None:
    result = check_health(production, "http://127.0.0.1:9")

    assert not result.passed
    assert result.detail.startswith("answered nothing")


class OrchestratorDouble:
    """Test double of the orchestrator: only the outputs reader verify uses."""

    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self.outputs = outputs

    def read_outputs(self, project: str) -> dict[str, Any] | None:
        return self.outputs.get(project)


def test_verify_action_reads_outputs_through_the_orchestrator(deployed: Deployed) -> None:
    out = io.StringIO()

    code = verify_action("development", None, out)(OrchestratorDouble(deployed.outputs))  # type: ignore[arg-type]

    assert code == 0, out.getvalue()
    assert "Verifying development (us-west-2) read-only" in out.getvalue()


def test_verify_action_turns_a_missing_stack_into_a_user_error() -> None:
    action = verify_action("development", None, io.StringIO())

    with pytest.raises(OrchestrationError, match="organization/security/development does not"):
        action(OrchestratorDouble({}))  # type: ignore[arg-type]
