"""`invoke verify` against moto: a compliant environment passes, each break fails its check."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from orchestration.verify.runner import HEALTH_CHECK, LIVE_RULES
from shared.settings import EnvironmentSettings
from tests.verify.moto_environment import (
    Deployed,
    HealthDouble,
    assert_fails_exactly,
    failed_checks,
    launch_template_data,
    passed,
    run_report,
)
from tests.verify.moto_network import LOAD_BALANCER_NAME


def test_compliant_environment_passes_every_check(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    code, report = run_report(development, deployed)

    assert code == 0, report
    passed = {line.split()[1] for line in report.splitlines() if line.startswith("PASS")}
    # Development has no load balancer to judge (one instance, served directly).
    assert passed == {*LIVE_RULES, HEALTH_CHECK} - {"elb-access-logs"}
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

    code, report = run_report(development, deployed)

    assert code == 1
    assert failed_checks(report) == breakage.failed
    for phrase in breakage.phrases:
        assert phrase in report


def test_a_compliant_production_environment_passes_every_check(
    production: EnvironmentSettings, production_deployed: Deployed
) -> None:
    code, report = run_report(production, production_deployed)

    assert code == 0, report
    assert {line.split()[1] for line in report.splitlines() if line.startswith("PASS")} == {
        *LIVE_RULES,
        HEALTH_CHECK,
    }
    log_bucket = production_deployed.log_bucket
    # The log target is judged too: by every bucket rule, as a bucket of its own.
    assert f"PASS  s3-bucket-encryption-customer-key  {log_bucket}" in report
    # Production's web servers are judged by their launch template, not by instances.
    template = production_deployed.launch_template_id
    assert f"PASS  ec2-imdsv2-required                {template}" in report
    assert f"PASS  ec2-root-volume-customer-key       {template}" in report
    assert production_deployed.instance_id not in report
    # The network: the VPC's flow log, its log group, and the balancer, which the URL (the
    # health double's, as a custom domain would) does not name: found in the compute VPC.
    network = production_deployed.network
    assert passed(report, "vpc-flow-logs", network.vpc_id)
    assert passed(report, "cloudwatch-log-group-encrypted", network.log_group)
    assert passed(report, "ec2-production-private", template)
    assert passed(report, "elb-access-logs", LOAD_BALANCER_NAME)


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
        LaunchTemplateData=launch_template_data(deployed.key_arn, "optional", deployed.group_id),
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

    assert_fails_exactly(production, production_deployed, {failed}, phrase)
