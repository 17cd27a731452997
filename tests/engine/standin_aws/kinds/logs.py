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


class _LogGroup(Kind):
    def create(self, op: Op) -> Made:
        name = str(op.get("name"))
        arguments = {
            "logGroupName": name,
            "tags": op.tags_all,
            **op.given({"kmsKeyId": "kmsKeyId"}),
        }
        if op.get("kmsKeyId"):
            log_group_key_unusable(op, name, str(op.get("kmsKeyId")), "creating", "CreateLogGroup")
        _call(op, "creating", "CreateLogGroup", name, **arguments)
        self._retain(op, name)
        return name, self.read(op, name) or {}

    def _retain(self, op: Op, name: str) -> None:
        days = op.given({"retentionInDays": "retentionInDays"})
        doing, verb = ("putting", "Put") if days else ("deleting", "Delete")
        _call(
            op, f"{doing} retention of", f"{verb}RetentionPolicy", name, logGroupName=name, **days
        )

    def read(self, op: Op, name: str) -> Props | None:
        found = _call(op, "reading", "DescribeLogGroups", name, logGroupNamePrefix=name)
        group = first([group for group in found["logGroups"] if group["logGroupName"] == name])
        if group is None:
            return None
        return {
            "arn": op.arn("logs", f"log-group:{name}"),
            "name": name,
            "kmsKeyId": group.get("kmsKeyId", ""),
            "retentionInDays": group.get("retentionInDays", 0),
            "logGroupClass": group.get("logGroupClass", "STANDARD"),
        }

    def update(self, op: Op, name: str) -> Props:
        key, doing = op.get("kmsKeyId"), "associating KMS key of"
        if op.changed("kmsKeyId") and key:
            log_group_key_unusable(op, name, str(key), doing, "AssociateKmsKey")
            _call(op, doing, "AssociateKmsKey", name, logGroupName=name, kmsKeyId=key)
        elif op.changed("kmsKeyId"):
            _call(op, "disassociating KMS key of", "DisassociateKmsKey", name, logGroupName=name)
        if op.changed("retentionInDays"):
            self._retain(op, name)
        return self.read(op, name) or {}

    def retag(self, op: Op, name: str) -> None:
        arn = op.arn("logs", f"log-group:{name}")
        gone = sorted(set(op.old("tags") or {}) - set(op.tags_all))
        if gone:
            _call(op, "untagging", "UntagResource", name, resourceArn=arn, tagKeys=gone)
        if op.tags_all:
            _call(op, "tagging", "TagResource", name, resourceArn=arn, tags=op.tags_all)

    def delete(self, op: Op, name: str) -> None:
        _call(op, "deleting", "DeleteLogGroup", name, logGroupName=name)


KINDS = {t.LOG_GROUP: _LogGroup()}
