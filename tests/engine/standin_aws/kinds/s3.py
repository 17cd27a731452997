"""TEST-ONLY stand-in: S3 buckets and the per-bucket configuration resources of pulumi-aws v7.

Each side resource (public access block, encryption, versioning...) is one S3 configuration
of its bucket, with the bucket name as its id, as in the real provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import aws_types as t
from shared.aws_facts import S3_HOSTED_ZONE_IDS
from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, gone_if_missing
from tests.engine.standin_aws.wire import Props

# -- buckets ---------------------------------------------------------------------------------


def _create_bucket(op: Op) -> Made:
    name = str(op.get("bucket"))
    arguments: dict[str, Any] = {"Bucket": name}
    if op.region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": op.region}
    if op.get("objectLockEnabled"):
        arguments["ObjectLockEnabledForBucket"] = True
    op.call(f"creating S3 Bucket ({name})", "s3", "CreateBucket", **arguments)
    _retag_bucket(op, name)
    return name, _bucket_outputs(op, name)


def _bucket_outputs(op: Op, name: str) -> Props:
    return {
        "bucket": name,
        "arn": f"arn:{op.partition}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.{op.dns_suffix}",
        "bucketRegionalDomainName": f"{name}.s3.{op.region}.{op.dns_suffix}",
        "hostedZoneId": S3_HOSTED_ZONE_IDS.get(op.region, ""),
        "region": op.region,
    }


def _read_bucket(op: Op, name: str) -> Props | None:
    def read() -> Props:
        action = f"reading S3 Bucket ({name})"
        op.call(action, "s3", "HeadBucket", Bucket=name)
        try:
            tag_set = op.call(action, "s3", "GetBucketTagging", Bucket=name)["TagSet"]
        except AwsError as error:
            if error.code != "NoSuchTagSet":
                raise
            tag_set = []
        live = {tag["Key"]: tag["Value"] for tag in tag_set}
        return {**_bucket_outputs(op, name), **op.live_tags(live)}

    return gone_if_missing(read)


def _retag_bucket(op: Op, name: str) -> None:
    if op.tags_all:
        op.call(
            f"tagging S3 Bucket ({name})",
            "s3",
            "PutBucketTagging",
            Bucket=name,
            Tagging={"TagSet": op.tag_list()},
        )


def _delete_bucket(op: Op, name: str) -> None:
    action = f"deleting S3 Bucket ({name})"
    if op.old("forceDestroy"):
        # forceDestroy: the provider empties the bucket, every version included, first.
        listed = op.call(action, "s3", "ListObjectVersions", Bucket=name)
        for entry in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
            op.call(
                action,
                "s3",
                "DeleteObject",
                Bucket=name,
                Key=entry["Key"],
                VersionId=entry["VersionId"],
            )
    op.call(action, "s3", "DeleteBucket", Bucket=name)


# -- side resources --------------------------------------------------------------------------


def _side(
    put: Callable[[Op, str], None],
    get: Callable[[Op, str], Props],
    remove: Callable[[Op, str], None],
) -> Kind:
    """A configuration of one bucket: put on create and update, get on read, remove on delete."""

    def create(op: Op) -> Made:
        bucket = str(op.get("bucket"))
        put(op, bucket)
        return bucket, {}

    def read(op: Op, bucket: str) -> Props | None:
        return gone_if_missing(lambda: get(op, bucket))

    def update(op: Op, bucket: str) -> Props:
        put(op, bucket)
        return {}

    def delete(op: Op, bucket: str) -> None:
        remove(op, bucket)

    return Kind(create, read, delete, update, tagged=False)


def _call(op: Op, doing: str, operation: str, bucket: str, **arguments: Any) -> Any:
    return op.call(f"{doing} S3 Bucket ({bucket})", "s3", operation, Bucket=bucket, **arguments)


_BLOCK_KEYS = {
    "blockPublicAcls": "BlockPublicAcls",
    "blockPublicPolicy": "BlockPublicPolicy",
    "ignorePublicAcls": "IgnorePublicAcls",
    "restrictPublicBuckets": "RestrictPublicBuckets",
}


def _put_block(op: Op, bucket: str) -> None:
    block = {aws: bool(op.get(key, False)) for key, aws in _BLOCK_KEYS.items()}
    _call(
        op,
        "putting Public Access Block of",
        "PutPublicAccessBlock",
        bucket,
        PublicAccessBlockConfiguration=block,
    )


def _get_block(op: Op, bucket: str) -> Props:
    block = _call(op, "reading Public Access Block of", "GetPublicAccessBlock", bucket)
    config = block["PublicAccessBlockConfiguration"]
    return {key: config.get(aws, False) for key, aws in _BLOCK_KEYS.items()}


def _put_ownership(op: Op, bucket: str) -> None:
    owner = (op.get("rule") or {}).get("objectOwnership", "BucketOwnerEnforced")
    _call(
        op,
        "putting Ownership Controls of",
        "PutBucketOwnershipControls",
        bucket,
        OwnershipControls={"Rules": [{"ObjectOwnership": owner}]},
    )


def _get_ownership(op: Op, bucket: str) -> Props:
    controls = _call(op, "reading Ownership Controls of", "GetBucketOwnershipControls", bucket)
    return {
        "rule": {"objectOwnership": controls["OwnershipControls"]["Rules"][0]["ObjectOwnership"]}
    }


def _put_versioning(op: Op, bucket: str) -> None:
    status = (op.get("versioningConfiguration") or {}).get("status", "Enabled")
    _call(
        op,
        "putting Versioning of",
        "PutBucketVersioning",
        bucket,
        VersioningConfiguration={"Status": status},
    )


def _get_versioning(op: Op, bucket: str) -> Props:
    versioning = _call(op, "reading Versioning of", "GetBucketVersioning", bucket)
    return {
        "versioningConfiguration": {
            **(op.get("versioningConfiguration") or {}),
            "status": versioning.get("Status", "Disabled"),
        }
    }


def _suspend_versioning(op: Op, bucket: str) -> None:
    # A versioned bucket can never be unversioned again: deleting the resource suspends it.
    _call(
        op,
        "suspending Versioning of",
        "PutBucketVersioning",
        bucket,
        VersioningConfiguration={"Status": "Suspended"},
    )


def _encryption_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    converted = []
    for rule in rules:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        by_default = {"SSEAlgorithm": default.get("sseAlgorithm")}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        converted.append(
            {
                "ApplyServerSideEncryptionByDefault": by_default,
                "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled", False)),
            }
        )
    return converted


def _put_encryption(op: Op, bucket: str) -> None:
    _call(
        op,
        "putting Encryption of",
        "PutBucketEncryption",
        bucket,
        ServerSideEncryptionConfiguration={"Rules": _encryption_rules(op.get("rules") or [])},
    )


def _get_encryption(op: Op, bucket: str) -> Props:
    config = _call(op, "reading Encryption of", "GetBucketEncryption", bucket)[
        "ServerSideEncryptionConfiguration"
    ]
    rules = []
    for rule in config["Rules"]:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        by_default = {"sseAlgorithm": default.get("SSEAlgorithm")}
        if default.get("KMSMasterKeyID"):
            by_default["kmsMasterKeyId"] = default["KMSMasterKeyID"]
        rules.append(
            {
                "applyServerSideEncryptionByDefault": by_default,
                "bucketKeyEnabled": rule.get("BucketKeyEnabled", False),
            }
        )
    return {"rules": rules}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"ID": rule.get("id", ""), "Status": rule.get("status", "Enabled")}
    converted["Filter"] = {"Prefix": (rule.get("filter") or {}).get("prefix", "")}
    if rule.get("expiration"):
        converted["Expiration"] = {"Days": int(rule["expiration"]["days"])}
    if rule.get("noncurrentVersionExpiration"):
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["noncurrentVersionExpiration"]["noncurrentDays"])
        }
    if rule.get("abortIncompleteMultipartUpload"):
        days = rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return converted


def _put_lifecycle(op: Op, bucket: str) -> None:
    rules = [_lifecycle_rule(rule) for rule in op.get("rules") or []]
    _call(
        op,
        "putting Lifecycle of",
        "PutBucketLifecycleConfiguration",
        bucket,
        LifecycleConfiguration={"Rules": rules},
    )


def _get_lifecycle(op: Op, bucket: str) -> Props:
    rules = _call(op, "reading Lifecycle of", "GetBucketLifecycleConfiguration", bucket)["Rules"]
    by_id = {rule.get("ID") for rule in rules}
    return {"rules": [rule for rule in op.get("rules") or [] if rule.get("id") in by_id]}


def _put_logging(op: Op, bucket: str) -> None:
    enabled = {"TargetBucket": op.get("targetBucket"), "TargetPrefix": op.get("targetPrefix", "")}
    _call(
        op,
        "putting Logging of",
        "PutBucketLogging",
        bucket,
        BucketLoggingStatus={"LoggingEnabled": enabled},
    )


def _get_logging(op: Op, bucket: str) -> Props:
    enabled = _call(op, "reading Logging of", "GetBucketLogging", bucket).get("LoggingEnabled")
    if not enabled:
        raise _gone(op, bucket, "logging")
    return {
        "targetBucket": enabled["TargetBucket"],
        "targetPrefix": enabled.get("TargetPrefix", ""),
    }


def _put_policy(op: Op, bucket: str) -> None:
    _call(op, "putting Policy of", "PutBucketPolicy", bucket, Policy=op.get("policy"))


def _get_policy(op: Op, bucket: str) -> Props:
    return {"policy": _call(op, "reading Policy of", "GetBucketPolicy", bucket)["Policy"]}


def _gone(op: Op, bucket: str, what: str) -> Exception:
    return AwsError(
        f"reading S3 Bucket ({bucket}) {what}", "S3", "Get", "NoSuchConfiguration", f"no {what}"
    )


def _remover(operation: str, doing: str, **arguments: Any) -> Callable[[Op, str], None]:
    def remove(op: Op, bucket: str) -> None:
        _call(op, doing, operation, bucket, **arguments)

    return remove


KINDS = {
    t.BUCKET: Kind(_create_bucket, _read_bucket, _delete_bucket, retag=_retag_bucket),
    t.BUCKET_PUBLIC_ACCESS_BLOCK: _side(
        _put_block,
        _get_block,
        _remover("DeletePublicAccessBlock", "deleting Public Access Block of"),
    ),
    t.BUCKET_OWNERSHIP: _side(
        _put_ownership,
        _get_ownership,
        _remover("DeleteBucketOwnershipControls", "deleting Ownership Controls of"),
    ),
    t.BUCKET_VERSIONING: _side(_put_versioning, _get_versioning, _suspend_versioning),
    t.BUCKET_ENCRYPTION: _side(
        _put_encryption,
        _get_encryption,
        _remover("DeleteBucketEncryption", "deleting Encryption of"),
    ),
    t.BUCKET_LIFECYCLE: _side(
        _put_lifecycle,
        _get_lifecycle,
        _remover("DeleteBucketLifecycle", "deleting Lifecycle of"),
    ),
    t.BUCKET_LOGGING: _side(
        _put_logging,
        _get_logging,
        _remover("PutBucketLogging", "deleting Logging of", BucketLoggingStatus={}),
    ),
    t.BUCKET_POLICY: _side(
        _put_policy, _get_policy, _remover("DeleteBucketPolicy", "deleting Policy of")
    ),
}
