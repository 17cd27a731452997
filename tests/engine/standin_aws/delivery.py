"""TEST-ONLY stand-in AWS provider: whether access logs would actually be delivered.

AWS accepts a logging configuration it then cannot honour: S3 server access logs and ELB access
logs are only delivered into a bucket whose default encryption is SSE-S3 (AES256); with SSE-KMS
`PutBucketLogging` succeeds and no log ever arrives. Server access logs also need the target
bucket's policy to let `logging.s3.amazonaws.com` write (the bucket owner enforces object
ownership, so there are no ACLs). The stand-in records the outcome on each configuration as
facts, recomputed after every change to the cloud:

    facts["delivery"] = {"target": <bucket>, "delivering": bool, "reason": <why not, or "">}

on `aws:s3/bucketLogging:BucketLogging` records, on load balancers with access logs enabled
and on VPC flow logs into CloudWatch Logs (`Cloud.log_deliveries()` lists them for tests).

A flow log delivers (`target`: its log group's ARN) while its log group exists, its role's
trust policy lets vpc-flow-logs.amazonaws.com assume it (AWS checks that on CreateFlowLogs
too: logging_rules.py) and the role's policies (lookups.role_policies) allow
logs:CreateLogStream on the group and logs:PutLogEvents on its streams (`<group ARN>:*` covers
both; the group's bare ARN names no stream). Flow logs into S3 or Firehose are not modelled.
"""

from __future__ import annotations

import json
from typing import Any

from shared import aws_types as t
from shared.aws_facts import VPC_FLOW_LOGS_SERVICE
from tests.engine.standin_aws import ACCOUNT_ID, lookups, policies
from tests.engine.standin_aws.account import digest

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


CLOUDWATCH_LOGS = "cloud-watch-logs"


def flow_logs_trust_problem(
    data: dict[str, Any], role_arn: str, flow_log_arn: str, account: str
) -> str:
    """Why vpc-flow-logs.amazonaws.com cannot assume the role for this flow log ("" if it can)."""
    role = lookups.by_id(data, (t.IAM_ROLE,), role_arn)
    if role is None:
        return f"role {role_arn} does not exist"
    trust = json.loads(lookups.out(role, "assumeRolePolicy") or "{}")
    context = {"aws:SourceAccount": account, "aws:SourceArn": flow_log_arn}
    principal = policies.Principal(service=VPC_FLOW_LOGS_SERVICE)
    if policies.allowed(trust, action="sts:AssumeRole", principal=principal, context=context):
        return ""
    return f"the trust policy of {role_arn} does not let {VPC_FLOW_LOGS_SERVICE} assume it"


def _permission_problem(data: dict[str, Any], role: lookups.Record, group_arn: str) -> str:
    """Why the role may not write the flow log's streams into the group ("" if it may)."""
    documents = lookups.role_policies(data, role)
    stream = f"{group_arn}:log-stream:eni-{digest(role['id'], group_arn)[:17]}-all"
    needs = (("logs:CreateLogStream", (group_arn, stream)), ("logs:PutLogEvents", (stream,)))
    missing = [
        action
        for action, resources in needs
        if not any(
            policies.identity_allows(documents, action=action, resource=resource)
            for resource in resources
        )
    ]
    if not missing:
        return ""
    return (
        f"the policies of {lookups.out(role, 'arn')} do not allow {' and '.join(missing)} on "
        f"{group_arn} (its log streams: the group's ARN followed by :*)"
    )


def _flow_log(data: dict[str, Any], record: lookups.Record) -> dict[str, Any] | None:
    if (lookups.out(record, "logDestinationType") or CLOUDWATCH_LOGS) != CLOUDWATCH_LOGS:
        return None
    target = str(lookups.out(record, "logDestination") or "").removesuffix(":*")
    arn = str(lookups.out(record, "arn"))
    role_arn = str(lookups.out(record, "iamRoleArn") or "")
    role = lookups.by_id(data, (t.IAM_ROLE,), role_arn)
    if lookups.by_id(data, (t.LOG_GROUP,), target) is None:
        reason = f"log group {target} does not exist"
    else:
        reason = flow_logs_trust_problem(data, role_arn, arn, arn.split(":")[4])
    if not reason and role is not None:
        reason = _permission_problem(data, role, target)
    return {"target": target, "delivering": not reason, "reason": reason}


def refresh(data: dict[str, Any]) -> None:
    """Recompute every delivery fact from the cloud as it now is."""
    for record in lookups.records(data, t.BUCKET_LOGGING):
        lookups.facts(record)["delivery"] = _server_access_logs(data, record)
    for record in lookups.records(data, *lookups.LOAD_BALANCERS, t.FLOW_LOG):
        status = (
            _flow_log(data, record)
            if record["type"] == t.FLOW_LOG
            else _load_balancer_logs(data, record)
        )
        if status is None:
            lookups.facts(record).pop("delivery", None)
        else:
            lookups.facts(record)["delivery"] = status
