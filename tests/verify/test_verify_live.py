"""`invoke verify` against moto: a compliant environment passes, each break fails its check."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_environment import Deployed, HealthDouble, OrchestratorDouble, launch_template_data

from orchestration.engine import OrchestrationError
from orchestration.verify.cli import verify_action
from orchestration.verify.runner import (
    HEALTH_CHECK,
    LIVE_RULES,
    CheckResult,
    DeployedEnvironment,
    VerifyError,
    check_health,
    make_session,
    read_deployed,
    run_verify,
    verify,
)
from shared.settings import EnvironmentSettings


def _stacks(settings: EnvironmentSettings, deployed: Deployed) -> OrchestratorDouble:
    return OrchestratorDouble(settings, deployed.outputs)


def _run(settings: EnvironmentSettings, deployed: Deployed) -> tuple[int, str]:
    out = io.StringIO()
    code = run_verify(settings, _stacks(settings, deployed), endpoint=None, out=out)
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


def _break_key_access_ssh_imds_and_health(deployed: Deployed, health_app: HealthDouble) -> None:
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
    health_app.body = {**health_app.body, "debug": not health_app.body["debug"]}


def _let_a_role_decrypt_directly(deployed: Deployed, _: HealthDouble) -> None:
    kms = deployed.session.client("kms")
    document = json.loads(
        kms.get_key_policy(KeyId=deployed.key_arn, PolicyName="default")["Policy"]
    )
    document["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=deployed.key_arn, PolicyName="default", Policy=json.dumps(document))


def _strip_bucket_encryption_tls_and_versioning(deployed: Deployed, _: HealthDouble) -> None:
    s3 = deployed.session.client("s3")
    s3.delete_bucket_encryption(Bucket=deployed.bucket)
    s3.delete_bucket_policy(Bucket=deployed.bucket)
    s3.put_bucket_versioning(
        Bucket=deployed.bucket, VersioningConfiguration={"Status": "Suspended"}
    )


def _encrypt_the_bucket_with_another_key(deployed: Deployed, _: HealthDouble) -> None:
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


def _point_at_a_missing_bucket(deployed: Deployed, _: HealthDouble) -> None:
    deployed.outputs["storage"]["bucket_name"] = "webapp-development-gone-123456789012"


@dataclass(frozen=True)
class Breakage:
    """A change to the compliant environment, the checks it must fail, what the report says."""

    apply: Callable[[Deployed, HealthDouble], None]
    failed: frozenset[str]
    phrases: tuple[str, ...] = ()


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(
            Breakage(
                _break_key_access_ssh_imds_and_health,
                frozenset(
                    {
                        "kms-key-rotation",
                        "s3-bucket-public-access-block",
                        "ec2-no-ssh-rdp-ingress",
                        "ec2-imdsv2-required",
                        HEALTH_CHECK,
                    }
                ),
                ("restrictPublicBuckets off", "opens SSH (port 22)"),
            ),
            id="key-access-ssh-imds-health",
        ),
        pytest.param(
            Breakage(
                _let_a_role_decrypt_directly,
                frozenset({"kms-key-policy-least-privilege"}),
                ("use the key directly (kms:Decrypt without kms:ViaService)",),
            ),
            id="key-policy-lets-a-role-decrypt-directly",
        ),
        pytest.param(
            Breakage(
                _strip_bucket_encryption_tls_and_versioning,
                frozenset(
                    {
                        "s3-bucket-encryption-customer-key",
                        "s3-bucket-tls-only",
                        "s3-bucket-versioning",
                    }
                ),
            ),
            id="bucket-without-encryption-tls-versioning",
        ),
        pytest.param(
            Breakage(
                _encrypt_the_bucket_with_another_key,
                frozenset({"s3-bucket-encryption-customer-key"}),
                ("not the security stack's key",),
            ),
            id="bucket-encrypted-with-another-key",
        ),
        pytest.param(
            Breakage(
                _point_at_a_missing_bucket,
                frozenset({"s3-read"}),
                # The other reads still run and are judged.
                ("PASS  kms-key-rotation",),
            ),
            id="missing-bucket-fails-its-read-only",
        ),
    ],
)
def test_a_broken_environment_fails_exactly_the_broken_checks(
    development: EnvironmentSettings,
    deployed: Deployed,
    health_app: HealthDouble,
    breakage: Breakage,
) -> None:
    breakage.apply(deployed, health_app)

    code, report = _run(development, deployed)

    assert code == 1
    assert _failed(report) == breakage.failed
    for phrase in breakage.phrases:
        assert phrase in report


def test_a_compliant_production_environment_passes_with_its_log_target_on_sse_s3(
    production: EnvironmentSettings, production_deployed: Deployed
) -> None:
    code, report = _run(production, production_deployed)

    assert code == 0, report
    log_bucket = production_deployed.log_bucket
    # The log target is judged too: by every bucket rule, as a bucket of its own.
    assert f"PASS  s3-bucket-encryption-customer-key  {log_bucket}" in report
    # Production's web servers are judged by their launch template, not by instances.
    template = production_deployed.launch_template_id
    assert f"PASS  ec2-imdsv2-required                {template}" in report
    assert f"PASS  ec2-root-volume-customer-key       {template}" in report
    assert production_deployed.instance_id not in report


def _log_target_on_sse_kms(deployed: Deployed) -> None:
    s3 = deployed.session.client("s3")
    s3.put_bucket_encryption(
        Bucket=deployed.log_bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": deployed.key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )


def _launch_template_allows_imdsv1(deployed: Deployed) -> None:
    ec2 = deployed.session.client("ec2")
    ec2.create_launch_template_version(
        LaunchTemplateId=deployed.launch_template_id,
        LaunchTemplateData=launch_template_data(deployed.key_arn, "optional"),
    )
    ec2.modify_launch_template(LaunchTemplateId=deployed.launch_template_id, DefaultVersion="2")


def _no_access_logging(deployed: Deployed) -> None:
    deployed.session.client("s3").put_bucket_logging(Bucket=deployed.bucket, BucketLoggingStatus={})


@pytest.mark.parametrize(
    ("apply", "failed", "phrase"),
    [
        pytest.param(
            _log_target_on_sse_kms,
            "s3-bucket-encryption-customer-key",
            "S3 delivers server access logs only into buckets with SSE-S3",
            id="log-target-on-sse-kms-delivers-nothing",
        ),
        pytest.param(
            _launch_template_allows_imdsv1,
            "ec2-imdsv2-required",
            "metadata http_tokens is 'optional'",
            id="launch-template-default-version-allows-imdsv1",
        ),
        pytest.param(
            _no_access_logging,
            "s3-bucket-access-logging",
            "has no server access logging",
            id="production-bucket-without-access-logs",
        ),
    ],
)
def test_production_findings_fail_exactly_their_check(
    production: EnvironmentSettings,
    production_deployed: Deployed,
    apply: Callable[[Deployed], None],
    failed: str,
    phrase: str,
) -> None:
    apply(production_deployed)

    code, report = _run(production, production_deployed)

    assert code == 1
    assert _failed(report) == {failed}
    assert phrase in report


def _drop_the_compute_stack(outputs: dict[str, dict[str, Any]]) -> None:
    del outputs["compute"]


def _drop_the_key_output(outputs: dict[str, dict[str, Any]]) -> None:
    del outputs["security"]["kms_key_arn"]


@pytest.mark.parametrize(
    ("remove", "problem"),
    [
        (_drop_the_compute_stack, "stack organization/compute/development does not exist"),
        (
            _drop_the_key_output,
            "stack organization/security/development has no output(s) kms_key_arn",
        ),
    ],
)
def test_a_missing_stack_or_output_is_named_with_the_fix(
    development: EnvironmentSettings,
    deployed: Deployed,
    remove: Callable[[dict[str, dict[str, Any]]], None],
    problem: str,
) -> None:
    remove(deployed.outputs)

    with pytest.raises(VerifyError) as caught:
        read_deployed(development, _stacks(development, deployed))

    assert str(caught.value) == (
        f"cannot verify 'development': {problem}. Deploy it first: invoke deploy --env development"
    )


def test_credentials_that_stop_resolving_stop_the_verification(
    development: EnvironmentSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The orchestrator checked them before verify started; here they vanish in between.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    deployed = DeployedEnvironment(
        kms_key_arn="arn:aws:kms:us-west-2:123456789012:key/k",
        bucket_name="b",
        instance_ids=("i-1",),
        security_group_id="sg-1",
        url="http://127.0.0.1:9",
    )

    with pytest.raises(VerifyError, match="AWS credentials stopped resolving"):
        verify(development, deployed, make_session(development, None))


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
        _stacks(development, deployed),
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


def test_verify_action_turns_missing_stacks_into_a_user_error(
    production: EnvironmentSettings,
) -> None:
    action = verify_action(None, io.StringIO())

    with pytest.raises(OrchestrationError) as caught:
        action(OrchestratorDouble(production, {}))  # type: ignore[arg-type]

    # The orchestrator's environment and stack names (not settings loaded a second time).
    assert str(caught.value) == (
        "cannot verify 'production': stack organization/security/production does not exist; "
        "stack organization/storage/production does not exist; stack "
        "organization/compute/production does not exist. Deploy it first: invoke deploy "
        "--env production"
    )


def test_verify_action_runs_the_checks(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    out = io.StringIO()

    code = verify_action(None, out)(OrchestratorDouble(development, deployed.outputs))  # type: ignore[arg-type]

    assert code == 0, out.getvalue()
    assert "Verifying development (us-west-2) read-only" in out.getvalue()
