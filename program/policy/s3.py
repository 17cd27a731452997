"""S3 rules: bucket names, and the side resources every bucket must have (v7 split them out).

A bucket's settings live in separate resources (`BucketVersioning`, ...) that point at the
bucket through their `bucket` property, so all but the name rule are stack rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from program.policy.model import Enforcement, Resource, Rule, Scope, StackView, is_unknown
from program.policy.values import as_bool, as_int, as_list, customer_key_problem, policy_statements
from shared import aws_types as t
from shared.aws_facts import S3_LOG_DELIVERY_SERVICE, SSE_KMS, SSE_S3
from shared.naming import bucket_name_problems

# Pulumi auto-naming appends "-" and 7 random characters; bucket_prefix is capped by AWS.
AUTONAME_SUFFIX = "-abcdefg"
BUCKET_PREFIX_MAX = 37
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _name_problems(bucket: Resource, _: StackView) -> Iterator[str]:
    name = bucket.get("bucket")
    prefix = bucket.get("bucketPrefix")
    if is_unknown(name) or is_unknown(prefix):
        return
    if isinstance(name, str):
        for problem in bucket_name_problems(name):
            yield f"bucket name {name!r} {problem}"
    elif isinstance(prefix, str):
        if len(prefix) > BUCKET_PREFIX_MAX or prefix != prefix.lower():
            yield f"bucket_prefix {prefix!r} must be lowercase and at most 37 characters"
        for problem in bucket_name_problems(prefix + "a" * 26):
            yield f"bucket_prefix {prefix!r}: a generated name {problem}"
    else:
        # What Pulumi's auto-naming would produce from the logical name.
        generated = bucket.name.lower() + AUTONAME_SUFFIX
        for problem in bucket_name_problems(generated):
            yield f"the auto-generated name from {bucket.name!r} {problem}"


def _side(view: StackView, bucket: Resource, type_: str, what: str) -> list[Resource] | str:
    found = view.referring(bucket, type_)
    return found or f"has no {what} ({type_.rsplit(':', 1)[-1]})"


def is_log_target(bucket: Resource, view: StackView) -> bool:
    """True for a bucket S3 server access logs are delivered into: another bucket's logging
    names it as target, or its policy lets the log delivery service write."""
    if any(view.refers_to(log, "targetBucket", bucket) for log in view.of_type(t.BUCKET_LOGGING)):
        return True
    return any(
        statement.get("Effect") == "Allow"
        and S3_LOG_DELIVERY_SERVICE in as_list(_get(statement, "Principal", "Service"))
        for policy in view.referring(bucket, t.BUCKET_POLICY)
        for statement in policy_statements(policy.get("policy"))
    )


def _encryption_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    configs = _side(view, bucket, t.BUCKET_ENCRYPTION, "default encryption configuration")
    if isinstance(configs, str):
        yield configs
        return
    log_target = is_log_target(bucket, view)
    for config in configs:
        rules = config.get("rules")
        if is_unknown(rules):
            continue
        if not as_list(rules):
            yield f"{config.name} has no encryption rule"
        for rule in as_list(rules):
            if log_target:
                yield from _log_target_rule_problems(config, rule)
            else:
                yield from _encryption_rule_problems(config, view, rule)


def _log_target_rule_problems(config: Resource, rule: Any) -> Iterator[str]:
    """The documented exception: a log target must use SSE-S3, or no log is delivered."""
    algorithm = _get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
    if not is_unknown(algorithm) and algorithm != SSE_S3:
        yield (
            f"{config.name} uses {algorithm!r} on a log target bucket; S3 delivers server access "
            f"logs only into buckets with SSE-S3 ({SSE_S3!r}) default encryption, so none arrive"
        )


def _encryption_rule_problems(config: Resource, view: StackView, rule: Any) -> Iterator[str]:
    if not isinstance(rule, Mapping):
        return
    default = rule.get("applyServerSideEncryptionByDefault")
    if not isinstance(default, Mapping):
        yield f"{config.name} sets no default server-side encryption"
        return
    algorithm = default.get("sseAlgorithm")
    if not is_unknown(algorithm) and algorithm not in (SSE_KMS, "aws:kms:dsse"):
        yield (
            f"{config.name} uses {algorithm!r} instead of SSE-KMS ({SSE_KMS!r}); only a log "
            "target bucket may use SSE-S3"
        )
        return
    problem = customer_key_problem(
        config, view, default.get("kmsMasterKeyId"), prop="rules", what="kms_master_key_id"
    )
    if problem:
        yield f"{config.name}: {problem}"
    if as_bool(rule.get("bucketKeyEnabled")) is not True and not is_unknown(
        rule.get("bucketKeyEnabled")
    ):
        yield f"{config.name} does not enable the S3 bucket key (bucket_key_enabled=True)"


def _public_access_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    blocks = _side(view, bucket, t.BUCKET_PUBLIC_ACCESS_BLOCK, "public access block")
    if isinstance(blocks, str):
        yield blocks
        return
    for block in blocks:
        off = [
            flag
            for flag in PUBLIC_ACCESS_FLAGS
            if not is_unknown(block.get(flag)) and as_bool(block.get(flag)) is not True
        ]
        if off:
            yield f"{block.name} leaves {', '.join(off)} off"


def _ownership_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    controls = _side(view, bucket, t.BUCKET_OWNERSHIP, "ownership controls")
    if isinstance(controls, str):
        yield controls
        return
    for control in controls:
        ownership = control.get("rule", "objectOwnership")
        if not is_unknown(ownership) and ownership != "BucketOwnerEnforced":
            yield f"{control.name} sets object ownership {ownership!r}, so ACLs stay enabled"


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal != "*" and not (isinstance(principal, Mapping) and principal.get("AWS") == "*"):
        return False
    if not {"s3:*", "*"} & set(as_list(statement.get("Action"))):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    bool_condition = condition.get("Bool")
    if not isinstance(bool_condition, Mapping):
        return False
    secure = as_list(bool_condition.get("aws:SecureTransport"))
    return any(as_bool(value) is False for value in secure)


def _tls_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    policies = _side(view, bucket, t.BUCKET_POLICY, "bucket policy")
    if isinstance(policies, str):
        yield f"{policies}, so plain-HTTP requests are allowed"
        return
    for policy in policies:
        document = policy.get("policy")
        if is_unknown(document):
            return
        if any(_denies_insecure_transport(s) for s in policy_statements(document)):
            return
    yield (
        "no bucket policy denies requests with aws:SecureTransport = false "
        "(Effect Deny, Principal *, Action s3:*)"
    )


def _versioning_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    configs = _side(view, bucket, t.BUCKET_VERSIONING, "versioning configuration")
    if isinstance(configs, str):
        yield configs
        return
    for config in configs:
        status = config.get("versioningConfiguration", "status")
        if not is_unknown(status) and status != "Enabled":
            yield f"{config.name} sets versioning status {status!r}, not 'Enabled'"


def _lifecycle_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    configs = _side(view, bucket, t.BUCKET_LIFECYCLE, "lifecycle configuration")
    if isinstance(configs, str):
        yield configs
        return
    rules = [rule for config in configs for rule in as_list(config.get("rules"))]
    if any(is_unknown(config.get("rules")) for config in configs):
        return
    enabled = [r for r in rules if isinstance(r, Mapping) and r.get("status") == "Enabled"]
    if not any(as_int(_get(r, "noncurrentVersionExpiration", "noncurrentDays")) for r in enabled):
        yield "no enabled lifecycle rule expires noncurrent versions"
    if not any(
        as_int(_get(r, "abortIncompleteMultipartUpload", "daysAfterInitiation")) for r in enabled
    ):
        yield "no enabled lifecycle rule aborts incomplete multipart uploads"


def _get(mapping: Mapping[str, Any], *path: str) -> Any:
    value: Any = mapping
    for step in path:
        value = value.get(step) if isinstance(value, Mapping) else None
    return value


def _logging_problems(bucket: Resource, view: StackView) -> Iterator[str]:
    if not view.settings.production:
        return
    # A bucket that receives other buckets' access logs is the log bucket: logging it into
    # itself would loop, and logging it elsewhere needs yet another bucket.
    if any(view.refers_to(log, "targetBucket", bucket) for log in view.of_type(t.BUCKET_LOGGING)):
        return
    logs = _side(view, bucket, t.BUCKET_LOGGING, "server access logging")
    if isinstance(logs, str):
        yield f"{logs} in production"
        return
    for log in logs:
        if view.refers_to(log, "targetBucket", bucket):
            yield f"{log.name} logs the bucket into itself; use a separate log bucket"
        elif log.get("targetBucket") is None:
            yield f"{log.name} names no target bucket"


RULES = (
    Rule(
        id="s3-bucket-name-valid",
        description="S3 bucket names are valid under every AWS naming rule.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_name_problems,
        fix="build the name with shared.naming.bucket_name()",
        references=("AWS S3 bucket naming rules",),
    ),
    Rule(
        id="s3-bucket-encryption-customer-key",
        description=(
            "S3 buckets encrypt by default with SSE-KMS, the customer key and bucket key; a log "
            "target bucket uses SSE-S3 (AES256), the only encryption S3 delivers access logs into."
        ),
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_encryption_problems,
        fix=(
            "add a BucketServerSideEncryptionConfiguration with sse_algorithm='aws:kms', "
            "kms_master_key_id=<security stack's kms_key_arn> and bucket_key_enabled=True "
            "(a log target bucket: sse_algorithm='AES256')"
        ),
        scope=Scope.STACK,
        references=("CKV_AWS_19", "CKV_AWS_145", "AVD-AWS-0088", "AVD-AWS-0132"),
    ),
    Rule(
        id="s3-bucket-public-access-block",
        description="S3 buckets turn on all four Block Public Access flags.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_public_access_problems,
        fix=(
            "add a BucketPublicAccessBlock with block_public_acls, block_public_policy, "
            "ignore_public_acls and restrict_public_buckets all True"
        ),
        scope=Scope.STACK,
        references=(
            "CKV_AWS_53",
            "CKV_AWS_54",
            "CKV_AWS_55",
            "CKV_AWS_56",
            "CKV2_AWS_6",
            "AVD-AWS-0086",
            "AVD-AWS-0087",
            "AVD-AWS-0091",
            "AVD-AWS-0093",
            "AVD-AWS-0094",
        ),
    ),
    Rule(
        id="s3-bucket-owner-enforced",
        description="S3 buckets disable ACLs with object ownership BucketOwnerEnforced.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_ownership_problems,
        fix="add a BucketOwnershipControls with rule.object_ownership='BucketOwnerEnforced'",
        scope=Scope.STACK,
        references=("CKV2_AWS_65",),
    ),
    Rule(
        id="s3-bucket-tls-only",
        description="S3 bucket policies deny every request made without TLS.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_tls_problems,
        fix=(
            "add a BucketPolicy statement: Effect Deny, Principal '*', Action 's3:*' on the "
            "bucket and its objects, Condition Bool aws:SecureTransport 'false'"
        ),
        scope=Scope.STACK,
        references=("AWS Config s3-bucket-ssl-requests-only",),
    ),
    Rule(
        id="s3-bucket-versioning",
        description="S3 buckets keep object versions.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_versioning_problems,
        fix="add a BucketVersioning with versioning_configuration.status='Enabled'",
        scope=Scope.STACK,
        references=("CKV_AWS_21", "AVD-AWS-0090"),
    ),
    Rule(
        id="s3-bucket-lifecycle",
        description=(
            "S3 buckets expire noncurrent versions and abort incomplete multipart uploads."
        ),
        enforcement=Enforcement.ADVISORY,
        resource_types=(t.BUCKET,),
        check=_lifecycle_problems,
        fix=(
            "add a BucketLifecycleConfiguration with enabled rules for "
            "noncurrent_version_expiration and abort_incomplete_multipart_upload"
        ),
        scope=Scope.STACK,
        references=("CKV2_AWS_61", "CKV_AWS_300"),
    ),
    Rule(
        id="s3-bucket-access-logging",
        description="In production, S3 buckets write server access logs to a separate bucket.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.BUCKET,),
        check=_logging_problems,
        fix="add a BucketLogging whose target_bucket is the environment's log bucket",
        scope=Scope.STACK,
        references=("CKV_AWS_18", "AVD-AWS-0089", "AWSGuard s3-bucket-logging-enabled"),
    ),
)
