"""TEST-ONLY stand-in AWS provider: whether access logs would actually be delivered.

AWS accepts a logging configuration it then cannot honour: S3 server access logs and ELB access
logs are only delivered into a bucket whose default encryption is SSE-S3 (AES256); with SSE-KMS
`PutBucketLogging` succeeds and no log ever arrives. Server access logs also need the target
bucket's policy to let `logging.s3.amazonaws.com` write (the bucket owner enforces object
ownership, so there are no ACLs). The stand-in records the outcome on each configuration as
facts, recomputed after every change to the cloud:

    facts["delivery"] = {"target": <bucket>, "delivering": bool, "reason": <why not, or "">}

on `aws:s3/bucketLogging:BucketLogging` records and on load balancers with access logs enabled
(`Cloud.log_deliveries()` lists them for tests).
"""

from __future__ import annotations

from typing import Any

from standin_aws import ACCOUNT_ID, lookups, policies

S3_LOG_SERVICE = "logging.s3.amazonaws.com"
SSE_S3 = "AES256"


def _encryption_reason(data: dict[str, Any], bucket: str, what: str) -> str:
    algorithm = lookups.default_encryption(data, bucket)
    if algorithm == SSE_S3:
        return ""
    return (
        f"target bucket {bucket} has default encryption {algorithm}; {what} are delivered only "
        f"to buckets with SSE-S3 ({SSE_S3}) default encryption"
    )


def _delivery_context(record: lookups.Record) -> dict[str, str]:
    """What S3 puts in the request context when it delivers a source bucket's logs."""
    source = str(lookups.out(record, "bucket"))
    return {"aws:SourceArn": f"arn:aws:s3:::{source}", "aws:SourceAccount": ACCOUNT_ID}


def _server_access_logs(data: dict[str, Any], record: lookups.Record) -> dict[str, Any]:
    target = str(lookups.out(record, "targetBucket"))
    reason = ""
    if not lookups.bucket_exists(data, target):
        reason = f"target bucket {target} does not exist"
    elif not policies.allowed(
        lookups.bucket_policy(data, target),
        action="s3:PutObject",
        principal=policies.Principal(service=S3_LOG_SERVICE),
        context=_delivery_context(record),
    ):
        reason = f"the policy of {target} does not let {S3_LOG_SERVICE} PutObject"
    else:
        reason = _encryption_reason(data, target, "server access logs")
    return {"target": target, "delivering": not reason, "reason": reason}


def _load_balancer_logs(data: dict[str, Any], record: lookups.Record) -> dict[str, Any] | None:
    logs = lookups.out(record, "accessLogs") or {}
    if not logs.get("enabled"):
        return None
    target = str(logs.get("bucket"))
    reason = _encryption_reason(data, target, "load balancer access logs")
    return {"target": target, "delivering": not reason, "reason": reason}


def refresh(data: dict[str, Any]) -> None:
    """Recompute every delivery fact from the cloud as it now is."""
    for record in lookups.records(data, lookups.BUCKET_LOGGING):
        lookups.facts(record)["delivery"] = _server_access_logs(data, record)
    for record in lookups.records(data, *lookups.LOAD_BALANCERS):
        status = _load_balancer_logs(data, record)
        if status is None:
            lookups.facts(record).pop("delivery", None)
        else:
            lookups.facts(record)["delivery"] = status
