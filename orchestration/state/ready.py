"""Before a run: the declared state bucket and key answer and meet bootstrap's requirements.

A missing bootstrap is one message naming `invoke bootstrap` instead of a Pulumi CLI error in
the middle of a run. A bucket that exists is judged as bootstrap judges one it would adopt
(`orchestration.state.bootstrap.judge`): a bucket of the derived name made by hand, without
versioning or encryption, would otherwise take the state that bootstrap itself refuses to keep
there. A key that exists but is disabled or pending deletion is named with the command that
brings it back: bootstrap cannot, and creating a new key would orphan the encrypted secrets.
Each run judges once, before its first stack is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from orchestration.state.aws import StateNotReady, aws_client, error_code
from orchestration.state.bootstrap.judge import rule_problems
from orchestration.state.declaration import KmsLocation, S3Location, StateLocation
from orchestration.verify.live import LiveReadError, bucket_resources
from shared.naming import state_key_alias
from shared.settings import EnvironmentSettings
from shared.topology import KMS_KEY_ARN

_MISSING_BUCKET = {"404", "NoSuchBucket", "NotFound"}
_DENIED = {"403", "AccessDenied", "AccessDeniedException", "Forbidden"}
# Bootstrap's bucket rules that keep the state recoverable (versioning: every checkpoint's
# history) and private (encryption with the state key, no public access, no ACLs). Its
# TLS-only bucket policy is hardening `invoke bootstrap --check` reports; a run does not stop
# for it.
RUN_BUCKET_RULES = (
    "s3-bucket-versioning",
    "s3-bucket-encryption-customer-key",
    "s3-bucket-public-access-block",
    "s3-bucket-owner-enforced",
)


@dataclass
class _Findings:
    # Parts that are missing or cannot be reached: bootstrap (or credentials) fix those.
    missing: list[str] = field(default_factory=list)
    # Parts that exist but must not be used as they are, each with what to do.
    refused: list[str] = field(default_factory=list)


def check_state_ready(location: StateLocation, settings: EnvironmentSettings) -> None:
    """StateNotReady in one line unless the declared bucket and key answer and are sound."""
    key_findings, findings = _Findings(), _Findings()
    endpoint = next(
        (part.endpoint for part in (location.bucket, location.key) if part and part.endpoint),
        None,
    )
    key_arn = None
    if location.key is not None:
        key_arn = _judge_key(location.key, key_findings)
    if location.bucket is not None:
        if key_arn is None:
            key_arn = _bootstrap_key_arn(location.bucket, settings)
        _judge_bucket(location.bucket, key_arn, settings, findings)
    # The bucket first: it is what the message names first when both are missing.
    findings.missing.extend(key_findings.missing)
    findings.refused.extend(key_findings.refused)
    if not (findings.missing or findings.refused):
        return
    env = settings.environment
    again = f" --endpoint {endpoint}" if endpoint else ""
    sentences = []
    if findings.missing:
        sentences.append(
            f"{'; '.join(findings.missing)}. Create it with `invoke bootstrap --env {env}"
            f"{again}` (or check the AWS credentials and the IAM permissions in README: Teams "
            "and shared state)"
        )
    sentences.extend(findings.refused)
    raise StateNotReady(
        f"the state backend of {env} is not ready: {'. '.join(sentences)}; nothing was run"
    )


def _judge_key(key: KmsLocation, findings: _Findings) -> str | None:
    what = f"the secrets key {key.key} ({key.region})"
    try:
        metadata = aws_client("kms", key.region, key.endpoint).describe_key(KeyId=key.key)
    except (BotoCoreError, ClientError) as error:
        findings.missing.append(_problem(what, error, missing={"NotFoundException"}))
        return None
    metadata = metadata["KeyMetadata"]
    state, arn = metadata.get("KeyState"), str(metadata["Arn"])
    if state == "Enabled":
        return arn
    options = f"--key-id {arn} --region {key.region}"
    if key.endpoint:
        options += f" --endpoint-url {key.endpoint}"
    commands = [f"aws kms enable-key {options}"]
    if state == "PendingDeletion":
        commands.insert(0, f"aws kms cancel-key-deletion {options}")
    if state in {"Disabled", "PendingDeletion"}:
        findings.refused.append(
            f"{what} is {state}: the stacks' secrets are encrypted with it, so bring it back "
            f"rather than create another: `{' && '.join(commands)}`"
        )
    else:
        findings.refused.append(f"{what} is {state}, not Enabled")
    return None


def _bootstrap_key_arn(bucket: S3Location, settings: EnvironmentSettings) -> str | None:
    """The key bootstrap encrypts the bucket with when the secrets use a passphrase."""
    alias = state_key_alias(settings)
    try:
        kms = aws_client("kms", bucket.region, bucket.endpoint)
        return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
    except (BotoCoreError, ClientError):
        return None


def _judge_bucket(
    bucket: S3Location, key_arn: str | None, settings: EnvironmentSettings, findings: _Findings
) -> None:
    what = f"the state bucket {bucket.bucket}"
    s3 = aws_client("s3", bucket.region, bucket.endpoint)
    try:
        s3.head_bucket(Bucket=bucket.bucket)
    except (BotoCoreError, ClientError) as error:
        findings.missing.append(_problem(what, error, missing=_MISSING_BUCKET))
        return
    kms: Any = aws_client("kms", bucket.region, bucket.endpoint)
    try:
        resources = bucket_resources(s3, kms, bucket.bucket)
    except (BotoCoreError, ClientError, LiveReadError) as error:
        findings.missing.append(f"{what} cannot be read ({error})")
        return
    expected = key_arn or f"the state key {state_key_alias(settings)}"
    problems = rule_problems(settings, resources, RUN_BUCKET_RULES, {KMS_KEY_ARN: expected})
    if problems:
        listed = "; ".join(f"{rule}: {why}" for rule, why in problems.items())
        findings.refused.append(
            f"{what} exists without the settings bootstrap requires ({listed}), so the state "
            "would lose its history or its encryption there; `invoke bootstrap --env "
            f"{settings.environment}` refuses it too: fix the bucket or declare another "
            "state_backend"
        )


def _problem(what: str, error: BotoCoreError | ClientError, *, missing: set[str]) -> str:
    if isinstance(error, EndpointConnectionError):
        return f"{what} is not reachable ({error})"
    if not isinstance(error, ClientError):
        return f"{what} cannot be read ({error})"
    code = error_code(error)
    if code in missing:
        return f"{what} does not exist"
    if code in _DENIED:
        return f"access to {what} is denied"
    return f"{what} does not answer ({code})"
