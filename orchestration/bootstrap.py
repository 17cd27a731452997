"""`invoke bootstrap`: create what an environment's state declaration names, with boto3.

Like `cdk bootstrap`, once per account, region and environment: the state bucket (versioning,
SSE-KMS with the state key and bucket key, Block Public Access, BucketOwnerEnforced, a TLS-only
policy, a lifecycle rule expiring old checkpoint versions) and the KMS key that encrypts the
bucket and the stacks' secrets (customer managed, rotation on, reached through its alias).

Everything is read and judged before anything is written, so a refusal changes nothing:
- missing: created;
- existing and tagged as bootstrap's own: what differs from the requirements is put back;
- existing and not bootstrap's own: adopted only if it already meets every requirement,
  otherwise refused with what differs (a bucket of another account is always refused).
The bucket and the key are judged by the same rules as the application's (`program.policy`)
through the live readers `invoke verify` uses. Bootstrap never deletes anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.engine import OrchestrationError
from orchestration.state_aws import aws_client, caller_account, error_code
from orchestration.verify.live import LiveReadError, bucket_resources, key_resource
from program.policy import StackView, rule_by_id
from shared.naming import STATE_COMPONENT, state_key_alias, tags
from shared.settings import EnvironmentSettings
from shared.state_backend import (
    KmsLocation,
    S3Location,
    StateDeclarationError,
    declared_state,
    resolve_state,
)
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

Client = Callable[[str, str | None, str | None], Any]


class BootstrapRefused(OrchestrationError):
    """An existing bucket or key is another account's or weaker than required; nothing changed."""


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


def run_bootstrap(
    settings: EnvironmentSettings,
    *,
    endpoint: str | None = None,
    check: bool = False,
    out: TextIO,
    client: Client = aws_client,
    lookup_account: Callable[[str, str | None], str] = caller_account,
) -> int:
    """Bootstrap (or with `check`, only report); the exit code. Refusals raise, changing nothing."""
    try:
        declaration = declared_state(settings)
    except StateDeclarationError as error:
        raise OrchestrationError(str(error)) from error
    env = settings.environment
    if not declaration.uses_aws:
        print(
            f"Nothing to bootstrap for {env}: it declares {declaration.describe()}, so its state "
            "stays in .pulumi-state/ on this machine. Declare state_backend: s3 and "
            f"secrets_provider: awskms in shared/environments/{env}.yaml to share it.",
            file=out,
        )
        return 0
    account = lookup_account(settings.region, endpoint)
    location = resolve_state(declaration, settings, account_id=account, endpoint=endpoint)
    key_location = location.key or KmsLocation(
        key=state_key_alias(settings), region=settings.region, endpoint=endpoint
    )
    kms = client("kms", key_location.region, key_location.endpoint)
    key = judge_key(kms, key_location, settings, account)
    parts = [key]
    bucket: Part | None = None
    s3 = None
    if location.bucket is not None:
        s3 = client("s3", location.bucket.region, location.bucket.endpoint)
        bucket = judge_bucket(
            s3,
            kms,
            location.bucket,
            key,
            settings=settings,
            history_days=declaration.history_days,
        )
        parts.append(bucket)
    print(
        f"Bootstrap of {env} (account {account}, {settings.region}; {declaration.describe()})",
        file=out,
    )
    refusals = [part.refusal for part in parts if part.refusal]
    if refusals:
        raise BootstrapRefused(
            f"bootstrap of {env} refused, nothing was changed: {'; '.join(refusals)}"
        )
    if check:
        again = f"{env} --endpoint {endpoint}" if endpoint else env
        return _report_check(parts, again, out)
    if key.missing or key.differences:
        _apply_key(kms, key, key_location, settings)
    if bucket is not None and location.bucket is not None:
        _apply_bucket(
            s3,
            bucket,
            location.bucket,
            key,
            settings=settings,
            history_days=declaration.history_days,
        )
    _report_done(parts, out)
    backend = location.backend_url or ".pulumi-state/ (this machine)"
    print(
        f"Runs of {env} keep their state in {backend} with the secrets provider "
        f"{location.secrets_provider}. Bootstrap never deletes anything.",
        file=out,
    )
    return 0


# ---- judging --------------------------------------------------------------------------------


def judge_key(kms: Any, location: KmsLocation, settings: EnvironmentSettings, account: str) -> Part:
    """The secrets key: missing (an alias bootstrap can create), ours, adoptable or refused."""
    part = Part(what=f"secrets key {location.key}")
    try:
        metadata = kms.describe_key(KeyId=location.key)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) != "NotFoundException":
            raise _failed(part.what, error) from error
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
    part.differences = _rule_problems(settings, [resource], KEY_RULES, {})
    if part.differences and not part.ours:
        part.refusal = _differs(part)
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
        lifecycle = _lifecycle_rules(s3, name)
    except (ClientError, BotoCoreError, LiveReadError) as error:
        raise _failed(part.what, error) from error
    expected_key = key.arn or f"the state key {key.what.split()[-1]} (not created yet)"
    part.differences = _rule_problems(
        settings, resources, BUCKET_RULES, {KMS_KEY_ARN: expected_key}
    )
    ours_rule = next((rule for rule in lifecycle if rule.get("ID") == LIFECYCLE_RULE_ID), None)
    kept = (ours_rule or {}).get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
    if kept != history_days:
        was = f"was {kept} days" if kept else "was not set"
        part.updates.append(f"old checkpoint versions expire after {history_days} days ({was})")
    if part.differences and not part.ours:
        part.refusal = _differs(part)
    return part


def _rule_problems(
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


def _differs(part: Part) -> str:
    listed = "; ".join(f"{rule}: {why}" for rule, why in part.differences.items())
    return (
        f"{part.what} exists without the settings bootstrap requires ({listed}); fix it or "
        "declare another name"
    )


def _failed(what: str, error: Exception) -> BootstrapFailed:
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


def _lifecycle_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        return list(s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", []))
    except ClientError as error:
        if error_code(error) == "NoSuchLifecycleConfiguration":
            return []
        raise


# ---- changing -------------------------------------------------------------------------------


def _apply_key(kms: Any, key: Part, location: KmsLocation, settings: EnvironmentSettings) -> None:
    try:
        if key.missing:
            created = kms.create_key(
                Description=(
                    f"Pulumi state and secrets of {settings.app} {settings.environment} "
                    "(invoke bootstrap)"
                ),
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=[{"TagKey": k, "TagValue": v} for k, v in _bootstrap_tags(settings).items()],
            )
            key.arn = str(created["KeyMetadata"]["Arn"])
            kms.enable_key_rotation(KeyId=key.arn)
            kms.create_alias(AliasName=location.key, TargetKeyId=key.arn)
        elif "kms-key-rotation" in key.differences:
            kms.enable_key_rotation(KeyId=key.arn)
    except (ClientError, BotoCoreError) as error:
        raise _failed(key.what, error) from error


def _apply_bucket(
    s3: Any,
    bucket: Part,
    location: S3Location,
    key: Part,
    *,
    settings: EnvironmentSettings,
    history_days: int,
) -> None:
    name = location.bucket
    arn = f"arn:{_partition(location.region)}:s3:::{name}"
    steps: dict[str, Callable[[], Any]] = {
        "s3-bucket-public-access-block": lambda: s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        ),
        "s3-bucket-owner-enforced": lambda: s3.put_bucket_ownership_controls(
            Bucket=name,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        ),
        "s3-bucket-encryption-customer-key": lambda: s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key.arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        ),
        "s3-bucket-versioning": lambda: s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": "Enabled"}
        ),
        "s3-bucket-tls-only": lambda: s3.put_bucket_policy(
            Bucket=name, Policy=json.dumps(tls_only_policy(arn))
        ),
    }
    try:
        if bucket.missing:
            create: dict[str, Any] = {"Bucket": name, "ObjectOwnership": "BucketOwnerEnforced"}
            if location.region and location.region != "us-east-1":
                create["CreateBucketConfiguration"] = {"LocationConstraint": location.region}
            s3.create_bucket(**create)
            # Marked first: a bootstrap interrupted after this point is finished by the next.
            s3.put_bucket_tagging(
                Bucket=name,
                Tagging={
                    "TagSet": [{"Key": k, "Value": v} for k, v in _bootstrap_tags(settings).items()]
                },
            )
        for rule_id, step in steps.items():
            if bucket.missing or rule_id in bucket.differences:
                step()
        if bucket.missing or bucket.updates:
            _put_lifecycle(s3, name, history_days)
    except (ClientError, BotoCoreError) as error:
        raise _failed(bucket.what, error) from error


def _put_lifecycle(s3: Any, name: str, history_days: int) -> None:
    """Our rule replaces its previous self; other rules on the bucket are kept."""
    kept = [rule for rule in _lifecycle_rules(s3, name) if rule.get("ID") != LIFECYCLE_RULE_ID]
    ours = {
        "ID": LIFECYCLE_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": history_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_UPLOAD_DAYS},
    }
    s3.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={"Rules": [*kept, ours]}
    )


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """Deny every request to the bucket and its objects made without TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def _bootstrap_tags(settings: EnvironmentSettings) -> dict[str, str]:
    return {**tags(settings, STATE_COMPONENT), MANAGED_BY_TAG: BOOTSTRAP_MARK}


def _partition(region: str | None) -> str:
    for prefix, partition in (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov")):
        if region and region.startswith(prefix):
            return partition
    return "aws"


# ---- reporting ------------------------------------------------------------------------------

_REQUIREMENTS = {
    "secrets key": "customer managed, symmetric, enabled, rotation on",
    "state bucket": (
        "versioning, SSE-KMS with the state key and bucket key, Block Public Access, "
        "BucketOwnerEnforced, TLS-only policy, lifecycle for old checkpoint versions"
    ),
}


def _kind(part: Part) -> str:
    return " ".join(part.what.split()[:2])


def _report_check(parts: Sequence[Part], env: str, out: TextIO) -> int:
    for part in parts:
        if part.missing:
            print(f"  missing      {part.what}: bootstrap would create it", file=out)
        elif part.differences or part.updates:
            changes = [*part.differences.values(), *part.updates]
            print(f"  would change {part.what}: {'; '.join(changes)}", file=out)
        else:
            print(f"  ready        {part.what}: {_REQUIREMENTS[_kind(part)]}", file=out)
    pending = [part for part in parts if not part.unchanged]
    if pending:
        print(
            f"Not ready: {len(pending)} of {len(parts)} need `invoke bootstrap --env {env}` "
            "(this check changed nothing).",
            file=out,
        )
        return 1
    print(
        "Ready: everything the declaration names is in place (this check changed nothing).",
        file=out,
    )
    return 0


def _report_done(parts: Sequence[Part], out: TextIO) -> None:
    for part in parts:
        if part.missing:
            arn = f" ({part.arn})" if part.arn else ""
            print(f"  created    {part.what}{arn}: {_REQUIREMENTS[_kind(part)]}", file=out)
        elif part.differences or part.updates:
            changes = [f"put back: {why}" for why in part.differences.values()] + part.updates
            print(f"  changed    {part.what}: {'; '.join(changes)}", file=out)
        else:
            how = "bootstrap's own" if part.ours else "adopted, meets every requirement"
            print(f"  unchanged  {part.what} ({how})", file=out)
    if all(part.unchanged for part in parts):
        print("Nothing changed: everything was already in place.", file=out)
