"""The storage project: locked-down buckets (data on the customer key, access logs on SSE-S3);
logging and protection in production.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from orchestration.plan.evaluate import ProgramResult, RegisteredResource, evaluate_program
from projects.storage.config import read_config as storage_config
from shared import aws_types as t
from shared import naming, topology
from shared.config_reading import ProjectConfigError
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import (
    ACCOUNT,
    contract_upstream,
    contract_value,
    document,
    statements,
)

Evaluate = Callable[[str, str], ProgramResult]
BUCKET = t.BUCKET
ENCRYPTION = t.BUCKET_ENCRYPTION
VERSIONING = t.BUCKET_VERSIONING
PUBLIC_ACCESS = t.BUCKET_PUBLIC_ACCESS_BLOCK
OWNERSHIP = t.BUCKET_OWNERSHIP
POLICY = t.BUCKET_POLICY
LIFECYCLE = t.BUCKET_LIFECYCLE
LOGGING = t.BUCKET_LOGGING
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
# (noncurrent version days, incomplete upload days) from each Pulumi.<env>.yaml.
LIFECYCLE_DAYS = {"development": (7, 1), "production": (90, 7)}


def buckets(result: ProgramResult) -> dict[str, RegisteredResource]:
    return {bucket.inputs["bucket"]: bucket for bucket in result.of_type(BUCKET)}


def side(result: ProgramResult, type_: str, bucket: str) -> RegisteredResource:
    """The one side resource of `type_` that configures `bucket`."""
    found = [r for r in result.of_type(type_) if r.inputs["bucket"] == bucket]
    assert len(found) == 1, f"{bucket}: expected one {type_}, found {len(found)}"
    return found[0]


def test_bucket_names_come_from_the_normaliser_and_are_valid(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = evaluate(topology.STORAGE, environment)
    names = set(buckets(result))
    expected = {naming.bucket_name(env_settings, "data", ACCOUNT)}
    if env_settings.production:
        expected.add(naming.bucket_name(env_settings, "logs", ACCOUNT))
    assert names == expected
    assert all(naming.bucket_name_problems(name) == [] for name in names)


def test_every_data_bucket_encrypts_with_the_security_stacks_key_and_bucket_key(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = evaluate(topology.STORAGE, environment)
    key_arn = contract_value(topology.KMS_KEY_ARN, environment)
    logs = naming.bucket_name(env_settings, "logs", ACCOUNT)
    for name in buckets(result):
        if name == logs:
            continue  # the log target: SSE-S3 (next test)
        (rule,) = side(result, ENCRYPTION, name).inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
        assert rule["bucketKeyEnabled"] is True


def test_the_access_log_bucket_uses_sse_s3_so_logs_are_delivered(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    # S3 delivers server access logs only into a bucket with SSE-S3 default encryption: with
    # SSE-KMS the logging configuration is accepted and no log ever arrives.
    result = evaluate(topology.STORAGE, "production")
    logs = naming.bucket_name(production, "logs", ACCOUNT)
    (rule,) = side(result, ENCRYPTION, logs).inputs["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}


def test_every_bucket_is_versioned_private_and_owner_enforced(
    environment: str, evaluate: Evaluate
) -> None:
    result = evaluate(topology.STORAGE, environment)
    for name in buckets(result):
        versioning = side(result, VERSIONING, name).inputs["versioningConfiguration"]
        assert versioning["status"] == "Enabled"
        block = side(result, PUBLIC_ACCESS, name).inputs
        flags = (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
        assert all(block[flag] is True for flag in flags)
        ownership = side(result, OWNERSHIP, name).inputs["rule"]["objectOwnership"]
        assert ownership == "BucketOwnerEnforced"


def test_every_bucket_policy_denies_requests_without_tls(
    environment: str, evaluate: Evaluate, tls_only_statement: Callable[[str], dict[str, Any]]
) -> None:
    result = evaluate(topology.STORAGE, environment)
    for name in buckets(result):
        policy = document(side(result, POLICY, name))
        assert tls_only_statement(name) in statements(policy)
        assert all(s["Principal"] != "*" for s in statements(policy) if s["Effect"] == "Allow")


def test_lifecycle_expires_old_versions_and_aborts_uploads_per_environment(
    environment: str, evaluate: Evaluate
) -> None:
    result = evaluate(topology.STORAGE, environment)
    noncurrent, abort = LIFECYCLE_DAYS[environment]
    for name in buckets(result):
        rules = {rule["id"]: rule for rule in side(result, LIFECYCLE, name).inputs["rules"]}
        assert all(rule["status"] == "Enabled" for rule in rules.values())
        expire = rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]
        assert expire["noncurrentDays"] == noncurrent
        uploads = rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]
        assert uploads["daysAfterInitiation"] == abort


def test_production_logs_access_to_a_separate_locked_down_bucket(
    production: EnvironmentSettings, evaluate: Evaluate
) -> None:
    result = evaluate(topology.STORAGE, "production")
    data = naming.bucket_name(production, "data", ACCOUNT)
    logs = naming.bucket_name(production, "logs", ACCOUNT)
    (logging,) = result.of_type(LOGGING)
    assert logging.inputs == {"bucket": data, "targetBucket": logs, "targetPrefix": "access-logs/"}
    delivery = [
        s for s in statements(document(side(result, POLICY, logs))) if s["Effect"] == "Allow"
    ]
    assert delivery == [
        {
            "Sid": "AllowServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{logs}/access-logs/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{data}"]},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        },
        {
            # ELB's account for us-west-2 writes the load balancer's logs, only under this
            # account's folder of the prefix the compute layer's load balancer uses.
            "Sid": "AllowLoadBalancerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::797873946194:root"},
            "Action": "s3:PutObject",
            "Resource": (
                f"arn:aws:s3:::{logs}/{topology.LOAD_BALANCER_LOG_PREFIX}/AWSLogs/{ACCOUNT}/*"
            ),
        },
    ]
    log_rules = {rule["id"] for rule in side(result, LIFECYCLE, logs).inputs["rules"]}
    assert "expire-current-objects" in log_rules


def test_development_has_one_bucket_and_no_access_logging(evaluate: Evaluate) -> None:
    result = evaluate(topology.STORAGE, "development")
    assert len(result.of_type(BUCKET)) == 1
    assert result.of_type(LOGGING) == []


def test_production_buckets_are_protected_and_never_force_destroyed(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    for bucket in evaluate(topology.STORAGE, environment).of_type(BUCKET):
        assert bucket.protect is env_settings.production
        assert bucket.inputs["forceDestroy"] is (not env_settings.production)


def test_exports_the_data_bucket_and_the_log_bucket_where_there_is_one(
    environment: str, env_settings: EnvironmentSettings, evaluate: Evaluate
) -> None:
    outputs = evaluate(topology.STORAGE, environment).outputs
    name = naming.bucket_name(env_settings, "data", ACCOUNT)
    logs = naming.bucket_name(env_settings, "logs", ACCOUNT) if env_settings.production else ""
    assert outputs == {
        topology.BUCKET_NAME: name,
        topology.BUCKET_ARN: f"arn:aws:s3:::{name}",
        topology.LOG_BUCKET_NAME: logs,
    }


@pytest.mark.parametrize("environment", ["development", "production"])
def test_an_app_name_with_capitals_still_gives_valid_buckets(
    environment: str, development: EnvironmentSettings, production: EnvironmentSettings
) -> None:
    # Regression: app "WebApp" once produced InvalidBucketName at deploy time.
    base = development if environment == "development" else production
    settings = dataclasses.replace(base, app="WebApp")
    result = evaluate_program(
        topology.STORAGE,
        environment,
        upstream=contract_upstream(topology.STORAGE, environment),
        settings=settings,
    )
    names = list(buckets(result))
    assert names
    for name in names:
        assert name.startswith(f"webapp-{environment}-")
        assert naming.bucket_name_problems(name) == []
    assert result.outputs[topology.BUCKET_NAME] in names


def test_lifecycle_knobs_are_validated(development: EnvironmentSettings) -> None:
    with pytest.raises(ProjectConfigError, match=r"storage:abortIncompleteUploadDays.*0"):
        storage_config(development, {"abortIncompleteUploadDays": "0"}.get)
