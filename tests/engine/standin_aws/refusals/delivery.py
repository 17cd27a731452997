"""TEST-ONLY stand-in: whether access logs would actually arrive, a fact the emulator lacks.

AWS accepts logging configurations it then cannot honour, and the emulator delivers nothing,
so tests ask `log_deliveries(account)`, computed from the buckets as they now are:
- S3 server access logs and ELB access logs arrive only in a bucket whose default encryption
  is SSE-S3; with SSE-KMS the configuration is accepted and no log ever arrives (S3 User Guide,
  "Enabling Amazon S3 server access logging"; ALB User Guide, "Access logs");
- server access logs need the target's policy to let logging.s3.amazonaws.com PutObject for
  that source bucket and account (aws:SourceArn, aws:SourceAccount).
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.aws_facts import SSE_S3
from tests.engine.standin_aws.refusals.policies import allows

S3_LOG_SERVICE = "logging.s3.amazonaws.com"


class Clients(Protocol):
    """An emulated account's boto3 clients (the stand-in's Account, the tests' Operator)."""

    def client(self, service: str) -> Any: ...


def log_deliveries(account: Clients) -> list[dict[str, Any]]:
    """Every access log configuration of the account: {"source": bucket or load balancer name,
    "target": bucket, "delivering": bool, "reason": why not, or ""}."""
    s3, elb = account.client("s3"), account.client("elbv2")
    owner = account.client("sts").get_caller_identity()["Account"]
    found = []
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
        if enabled:
            target = enabled["TargetBucket"]
            context = {"aws:SourceArn": f"arn:aws:s3:::{bucket}", "aws:SourceAccount": owner}
            reason = ""
            if not allows(
                _policy(s3, target), "s3:PutObject", {"Service": S3_LOG_SERVICE}, context
            ):
                reason = f"the policy of {target} does not let {S3_LOG_SERVICE} PutObject"
            found.append(_delivery(s3, bucket, target, "server access logs", reason))
    for balancer in elb.describe_load_balancers()["LoadBalancers"]:
        arn = balancer["LoadBalancerArn"]
        attributes = elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        values = {item["Key"]: item["Value"] for item in attributes}
        if values.get("access_logs.s3.enabled") == "true":
            target, name = values["access_logs.s3.bucket"], balancer["LoadBalancerName"]
            found.append(_delivery(s3, name, target, "load balancer access logs", ""))
    return found


def _delivery(s3: Any, source: str, target: str, what: str, reason: str) -> dict[str, Any]:
    try:
        config = s3.get_bucket_encryption(Bucket=target)["ServerSideEncryptionConfiguration"]
        algorithm = config["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    except ClientError:
        algorithm = SSE_S3  # AWS encrypts every bucket with SSE-S3 unless told otherwise (2023)
    if not reason and algorithm != SSE_S3:
        reason = (
            f"target bucket {target} has default encryption {algorithm}; {what} are delivered "
            f"only to buckets with SSE-S3 ({SSE_S3}) default encryption"
        )
    return {"source": source, "target": target, "delivering": not reason, "reason": reason}


def _policy(s3: Any, bucket: str) -> str | None:
    try:
        return str(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError:
        return None
