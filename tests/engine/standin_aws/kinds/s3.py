"""TEST-ONLY stand-in: S3 buckets and the per-bucket configuration resources of pulumi-aws v7
(each one S3 configuration of its bucket, with the bucket name as its id, as the provider's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import aws_types as t
from shared.aws_facts import S3_HOSTED_ZONE_IDS
from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, Untagged
from tests.engine.standin_aws.refusals import s3 as refuse
from tests.engine.standin_aws.wire import Props


def _call(op: Op, doing: str, operation: str, bucket: str, **arguments: Any) -> Any:
    return op.call(f"{doing} S3 Bucket ({bucket})", "s3", operation, Bucket=bucket, **arguments)


class _Bucket(Kind):
    def create(self, op: Op) -> Made:
        name = str(op.get("bucket"))
        refuse.bucket_name_valid(name)
        where = {"LocationConstraint": op.region}
        config = {} if op.region == "us-east-1" else {"CreateBucketConfiguration": where}
        _call(op, "creating", "CreateBucket", name, **config)
        self.retag(op, name)
        return name, self._computed(op, name)

    def _computed(self, op: Op, name: str) -> Props:
        return {
            "bucket": name,
            "arn": f"arn:{op.partition}:s3:::{name}",
            "bucketDomainName": f"{name}.s3.{op.dns_suffix}",
            "bucketRegionalDomainName": f"{name}.s3.{op.region}.{op.dns_suffix}",
            "hostedZoneId": S3_HOSTED_ZONE_IDS.get(op.region, ""),
            "region": op.region,
        }

    def outputs(self, op: Op, name: str) -> Props:
        _call(op, "reading", "HeadBucket", name)
        try:
            tag_set = _call(op, "reading", "GetBucketTagging", name)["TagSet"]
        except AwsError as error:
            if error.code != "NoSuchTagSet":
                raise
            tag_set = []
        live = {tag["Key"]: tag["Value"] for tag in tag_set}
        return {**self._computed(op, name), **op.live_tags(live)}

    def retag(self, op: Op, name: str) -> None:
        if op.tags_all:
            _call(op, "tagging", "PutBucketTagging", name, Tagging={"TagSet": op.tag_list()})

    def delete(self, op: Op, name: str) -> None:
        if op.old("forceDestroy"):
            # forceDestroy: the provider empties the bucket, every version included, first.
            listed = _call(op, "deleting", "ListObjectVersions", name)
            for entry in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
                version = {"Key": entry["Key"], "VersionId": entry["VersionId"]}
                _call(op, "deleting", "DeleteObject", name, **version)
        _call(op, "deleting", "DeleteBucket", name)


# -- side resources: put on create and update, get on read, remove on delete --------------------

Put = Callable[[Op], dict[str, Any]]  # the Put<operation> arguments from the inputs
Get = Callable[[Op, Any], Props]  # the outputs from the Get<operation> answer


class _Side(Untagged):
    """The configuration `Put<operation>` sets; `remove` (default Delete<operation>) removes."""

    def __init__(self, operation: str, put: Put, get: Get, remove: str = "", **removal: Any):
        self.operation, self.put, self.get = operation, put, get
        self.remove, self.removal = remove or f"Delete{operation}", removal

    def create(self, op: Op) -> Made:
        bucket = str(op.get("bucket"))
        _call(op, "putting", f"Put{self.operation}", bucket, **self.put(op))
        return bucket, {}

    def outputs(self, op: Op, bucket: str) -> Props:
        return self.get(op, _call(op, "reading", f"Get{self.operation}", bucket))

    def update(self, op: Op, bucket: str) -> Props:
        return self.create(op)[1]

    def delete(self, op: Op, bucket: str) -> None:
        _call(op, "deleting", self.remove, bucket, **self.removal)


_BLOCK_KEYS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _block(op: Op) -> dict[str, Any]:
    block = {key[0].upper() + key[1:]: bool(op.get(key, False)) for key in _BLOCK_KEYS}
    return {"PublicAccessBlockConfiguration": block}


def _block_outputs(op: Op, found: Any) -> Props:
    config = found["PublicAccessBlockConfiguration"]
    return {key: config.get(key[0].upper() + key[1:], False) for key in _BLOCK_KEYS}


def _ownership(op: Op) -> dict[str, Any]:
    owner = (op.get("rule") or {}).get("objectOwnership", "BucketOwnerEnforced")
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": owner}]}}


def _ownership_outputs(op: Op, found: Any) -> Props:
    return {"rule": {"objectOwnership": found["OwnershipControls"]["Rules"][0]["ObjectOwnership"]}}


def _versioning(op: Op) -> dict[str, Any]:
    status = (op.get("versioningConfiguration") or {}).get("status", "Enabled")
    return {"VersioningConfiguration": {"Status": status}}


def _versioning_outputs(op: Op, found: Any) -> Props:
    given = op.get("versioningConfiguration") or {}
    return {"versioningConfiguration": {**given, "status": found.get("Status", "Disabled")}}


def _encryption(op: Op) -> dict[str, Any]:
    rules = []
    for rule in op.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        by_default = {"SSEAlgorithm": default.get("sseAlgorithm")}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        bucket_key = bool(rule.get("bucketKeyEnabled", False))
        rules.append(
            {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bucket_key}
        )
    return {"ServerSideEncryptionConfiguration": {"Rules": rules}}


def _encryption_outputs(op: Op, found: Any) -> Props:
    rules = []
    for rule in found["ServerSideEncryptionConfiguration"]["Rules"]:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        by_default = {"sseAlgorithm": default.get("SSEAlgorithm")}
        if default.get("KMSMasterKeyID"):
            by_default["kmsMasterKeyId"] = default["KMSMasterKeyID"]
        bucket_key = rule.get("BucketKeyEnabled", False)
        rules.append(
            {"applyServerSideEncryptionByDefault": by_default, "bucketKeyEnabled": bucket_key}
        )
    return {"rules": rules}


# A lifecycle rule's actions, each a number of days: its block -> the days' key in it.
_LIFECYCLE_DAYS = {
    "expiration": "days",
    "noncurrentVersionExpiration": "noncurrentDays",
    "abortIncompleteMultipartUpload": "daysAfterInitiation",
}


def _lifecycle(op: Op) -> dict[str, Any]:
    rules = []
    for rule in op.get("rules") or []:
        converted: dict[str, Any] = {
            "ID": rule.get("id", ""),
            "Status": rule.get("status", "Enabled"),
        }
        converted["Filter"] = {"Prefix": (rule.get("filter") or {}).get("prefix", "")}
        for key, inner in _LIFECYCLE_DAYS.items():
            if rule.get(key):
                days = int(rule[key][inner])
                converted[key[0].upper() + key[1:]] = {inner[0].upper() + inner[1:]: days}
        rules.append(converted)
    return {"LifecycleConfiguration": {"Rules": rules}}


def _lifecycle_outputs(op: Op, found: Any) -> Props:
    by_id = {rule.get("ID") for rule in found["Rules"]}
    return {"rules": [rule for rule in op.get("rules") or [] if rule.get("id") in by_id]}


def _logging(op: Op) -> dict[str, Any]:
    enabled = {"TargetBucket": op.get("targetBucket"), "TargetPrefix": op.get("targetPrefix", "")}
    return {"BucketLoggingStatus": {"LoggingEnabled": enabled}}


def _logging_outputs(op: Op, found: Any) -> Props:
    enabled = found.get("LoggingEnabled")
    if not enabled:
        bucket = op.get("bucket")
        action = f"reading S3 Bucket ({bucket}) logging"
        raise AwsError(action, "S3", "Get", "NoSuchConfiguration", "no logging")
    return {
        "targetBucket": enabled["TargetBucket"],
        "targetPrefix": enabled.get("TargetPrefix", ""),
    }


KINDS = {
    t.BUCKET: _Bucket(),
    t.BUCKET_PUBLIC_ACCESS_BLOCK: _Side("PublicAccessBlock", _block, _block_outputs),
    t.BUCKET_OWNERSHIP: _Side("BucketOwnershipControls", _ownership, _ownership_outputs),
    # A versioned bucket can never be unversioned again: deleting the resource suspends it.
    t.BUCKET_VERSIONING: _Side(
        "BucketVersioning",
        _versioning,
        _versioning_outputs,
        "PutBucketVersioning",
        VersioningConfiguration={"Status": "Suspended"},
    ),
    t.BUCKET_ENCRYPTION: _Side("BucketEncryption", _encryption, _encryption_outputs),
    t.BUCKET_LIFECYCLE: _Side(
        "BucketLifecycleConfiguration", _lifecycle, _lifecycle_outputs, "DeleteBucketLifecycle"
    ),
    t.BUCKET_LOGGING: _Side(
        "BucketLogging", _logging, _logging_outputs, "PutBucketLogging", BucketLoggingStatus={}
    ),
    t.BUCKET_POLICY: _Side(
        "BucketPolicy",
        lambda op: {"Policy": op.get("policy")},
        lambda op, found: {"policy": found["Policy"]},
    ),
}
