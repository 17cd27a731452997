"""TEST-ONLY stand-in: CloudWatch Logs log groups (an encrypted one: refusals/compute.py)."""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, first
from tests.engine.standin_aws.refusals.compute import log_group_key_unusable
from tests.engine.standin_aws.wire import Props


def _call(op: Op, doing: str, operation: str, name: str, **arguments: Any) -> Any:
    action = f"{doing} CloudWatch Logs Log Group ({name})"
    return op.call(action, "logs", operation, **arguments)


def _create(op: Op) -> Made:
    name = str(op.get("name"))
    arguments = {"logGroupName": name, "tags": op.tags_all}
    arguments |= op.given({"kmsKeyId": "kmsKeyId", "logGroupClass": "logGroupClass"})
    if op.get("kmsKeyId"):
        log_group_key_unusable(op, name, str(op.get("kmsKeyId")), "creating", "CreateLogGroup")
    _call(op, "creating", "CreateLogGroup", name, **arguments)
    _retain(op, name)
    return name, _read(op, name) or {}


def _retain(op: Op, name: str) -> None:
    if op.get("retentionInDays"):
        days = int(op.get("retentionInDays"))
        _call(
            op,
            "putting retention of",
            "PutRetentionPolicy",
            name,
            logGroupName=name,
            retentionInDays=days,
        )
    else:
        _call(op, "deleting retention of", "DeleteRetentionPolicy", name, logGroupName=name)


def _read(op: Op, name: str) -> Props | None:
    groups = _call(op, "reading", "DescribeLogGroups", name, logGroupNamePrefix=name)["logGroups"]
    group = first([group for group in groups if group["logGroupName"] == name])
    if group is None:
        return None
    return {
        "arn": op.arn("logs", f"log-group:{name}"),
        "name": name,
        "kmsKeyId": group.get("kmsKeyId", ""),
        "retentionInDays": group.get("retentionInDays", 0),
        "logGroupClass": group.get("logGroupClass", "STANDARD"),
    }


def _update(op: Op, name: str) -> Props:
    key = op.get("kmsKeyId")
    if op.changed("kmsKeyId") and key:
        log_group_key_unusable(op, name, str(key), "associating KMS key of", "AssociateKmsKey")
        _call(
            op, "associating KMS key of", "AssociateKmsKey", name, logGroupName=name, kmsKeyId=key
        )
    elif op.changed("kmsKeyId"):
        _call(op, "disassociating KMS key of", "DisassociateKmsKey", name, logGroupName=name)
    if op.changed("retentionInDays"):
        _retain(op, name)
    return _read(op, name) or {}


def _retag(op: Op, name: str) -> None:
    arn = op.arn("logs", f"log-group:{name}")
    gone = sorted(set(op.old("tags") or {}) - set(op.tags_all))
    if gone:
        _call(op, "untagging", "UntagResource", name, resourceArn=arn, tagKeys=gone)
    if op.tags_all:
        _call(op, "tagging", "TagResource", name, resourceArn=arn, tags=op.tags_all)


def _delete(op: Op, name: str) -> None:
    _call(op, "deleting", "DeleteLogGroup", name, logGroupName=name)


KINDS = {t.LOG_GROUP: Kind(_create, _read, _delete, _update, _retag)}
