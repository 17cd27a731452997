"""`invoke bootstrap`, part 1: what exists, judged against what the state needs (read only).

The bucket and key are read with the live readers `invoke verify` uses and judged by the same
rules as the application's (`program.policy`); what bootstrap created carries its tag, so a
rerun can tell its own bucket (put back in shape) from one it would adopt (taken only as is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.engine.interface import OrchestrationError
from orchestration.state.aws import error_code
from orchestration.state.declaration import KmsLocation, S3Location
from orchestration.verify.live import LiveReadError, bucket_resources, key_resource
from program.policy import StackView, rule_by_id
from shared.settings import EnvironmentSettings
from shared.topology import KMS_KEY_ARN

# Tag value marking what bootstrap created (and so may put back in shape).
BOOTSTRAP_MARK = "invoke-bootstrap"
MANAGED_BY_TAG = "ManagedBy"
LIFECYCLE_RULE_ID = "expire-old-state-versions"
ABORT_UPLOAD_DAYS = 7
# The application's bucket rules that hold for the state bucket too (the rest are about the
# program: names it derives, access logging in production, tags through the provider).
BUCKET_RULES = (
    "s3-bucket-encryption-customer-key",
    "s3-bucket-public-access-block",
    "s3-bucket-owner-enforced",
    "s3-bucket-tls-only",
    "s3-bucket-versioning",
)
KEY_RULES = ("kms-key-rotation",)


class BootstrapFailed(OrchestrationError):
    """AWS refused a call part-way; what bootstrap created so far is tagged and a rerun finishes."""


@dataclass
class Part:
    """One thing the declaration names, judged: what exists and what would be done."""

    what: str
    missing: bool = False
    ours: bool = False
    arn: str | None = None
    # Rule id -> why it is not met (for our own: put back; for an adopted one: refused).
    differences: dict[str, str] = field(default_factory=dict)
    refusal: str | None = None
    # Changes that are not a weakness (the lifecycle's retention), made even when adopting.
    updates: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.missing or self.differences or self.updates or self.refusal)


def judge_key(kms: Any, location: KmsLocation, settings: EnvironmentSettings, account: str) -> Part:
    """The secrets key: missing (an alias bootstrap can create), ours, adoptable or refused."""
    part = Part(what=f"secrets key {location.key}")
    try:
        metadata = kms.describe_key(KeyId=location.key)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) != "NotFoundException":
            raise failed(part.what, error) from error
        if location.alias is None:
            part.refusal = (
                f"{part.what} does not exist; bootstrap creates keys named by an alias only "
                "(write awskms, or awskms://alias/<name>?region=...)"
            )
        part.missing = True
        return part
    part.arn = str(metadata["Arn"])
    owner = str(metadata.get("AWSAccountId") or part.arn.split(":")[4])
    facts = {
        "belongs to account": (owner, account),
        "is managed by": (metadata.get("KeyManager"), "CUSTOMER"),
        "has key spec": (metadata.get("KeySpec"), "SYMMETRIC_DEFAULT"),
        "has usage": (metadata.get("KeyUsage", "ENCRYPT_DECRYPT"), "ENCRYPT_DECRYPT"),
        "is": (metadata.get("KeyState"), "Enabled"),
    }
    wrong = [
        f"{what} {found}, not {wanted}"
        for what, (found, wanted) in facts.items()
        if found != wanted
    ]
    if wrong:
        part.refusal = f"{part.what} ({part.arn}) {'; '.join(wrong)}"
        return part
    part.ours = _kms_tags(kms, part.arn).get(MANAGED_BY_TAG) == BOOTSTRAP_MARK
    resource = key_resource(kms, part.arn)
    part.differences = rule_problems(settings, [resource], KEY_RULES, {})
    if part.differences and not part.ours:
        part.refusal = differs(part)
    return part


def judge_bucket(
    s3: Any,
    kms: Any,
    location: S3Location,
    key: Part,
    *,
    settings: EnvironmentSettings,
    history_days: int,
) -> Part:
    """The state bucket: missing, ours, adoptable, or refused (another account's, weaker)."""
    name = location.bucket
    part = Part(what=f"state bucket {name}")
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        if error_code(error) not in {"404", "NoSuchBucket", "NotFound"}:
            part.refusal = (
                f"{part.what} exists but this account cannot use it ({error_code(error)})"
            )
            return part
        part.missing = True
        return part
    try:
        owned = {bucket["Name"] for bucket in s3.list_buckets(Prefix=name).get("Buckets", [])}
        if name not in owned:
            part.refusal = f"{part.what} exists but is owned by another AWS account"
            return part
        region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        if location.region and region != location.region:
            part.refusal = f"{part.what} is in {region}, not {location.region}"
            return part
        part.ours = _s3_tags(s3, name).get(MANAGED_BY_TAG) == BOOTSTRAP_MARK
        resources = bucket_resources(s3, kms, name)
        lifecycle = lifecycle_rules(s3, name)
    except (ClientError, BotoCoreError, LiveReadError) as error:
        raise failed(part.what, error) from error
    expected_key = key.arn or f"the state key {key.what.split()[-1]} (not created yet)"
    part.differences = rule_problems(settings, resources, BUCKET_RULES, {KMS_KEY_ARN: expected_key})
    ours_rule = next((rule for rule in lifecycle if rule.get("ID") == LIFECYCLE_RULE_ID), None)
    kept = (ours_rule or {}).get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
    if kept != history_days:
        was = f"was {kept} days" if kept else "was not set"
        part.updates.append(f"old checkpoint versions expire after {history_days} days ({was})")
    if part.differences and not part.ours:
        part.refusal = differs(part)
    return part


def rule_problems(
    settings: EnvironmentSettings,
    resources: Sequence[Any],
    rule_ids: Sequence[str],
    upstream: dict[str, Any],
) -> dict[str, str]:
    view = StackView(settings, resources, upstream=upstream)
    problems: dict[str, str] = {}
    for rule_id in rule_ids:
        rule = rule_by_id(rule_id)
        found = [
            problem
            for resource in resources
            if rule.applies_to(resource)
            for problem in rule.check(resource, view)
        ]
        if found:
            problems[rule_id] = "; ".join(found)
    return problems


def differs(part: Part) -> str:
    listed = "; ".join(f"{rule}: {why}" for rule, why in part.differences.items())
    return (
        f"{part.what} exists without the settings bootstrap requires ({listed}); fix it or "
        "declare another name"
    )


def failed(what: str, error: Exception) -> BootstrapFailed:
    return BootstrapFailed(f"cannot read or change the {what}: {error}")


def _kms_tags(kms: Any, key_id: str) -> dict[str, str]:
    found = kms.list_resource_tags(KeyId=key_id).get("Tags", [])
    return {tag["TagKey"]: tag["TagValue"] for tag in found}


def _s3_tags(s3: Any, bucket: str) -> dict[str, str]:
    try:
        found = s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except ClientError as error:
        if error_code(error) == "NoSuchTagSet":
            return {}
        raise
    return {tag["Key"]: tag["Value"] for tag in found}


def lifecycle_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        return list(s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", []))
    except ClientError as error:
        if error_code(error) == "NoSuchLifecycleConfiguration":
            return []
        raise
