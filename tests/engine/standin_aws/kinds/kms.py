"""TEST-ONLY stand-in: KMS keys and aliases in the emulated account."""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, Untagged, gone_if_missing
from tests.engine.standin_aws.refusals.kms import key_usable_for_changes
from tests.engine.standin_aws.wire import Props

# AWS's longest waiting period, and the provider's default for deletionWindowInDays.
DEFAULT_DELETION_WINDOW_DAYS = 30


def _kms(op: Op, doing: str, operation: str, what: str, **arguments: Any) -> Any:
    return op.call(f"{doing} KMS {what}", "kms", operation, **arguments)


class _Key(Kind):
    def _call(self, op: Op, doing: str, operation: str, key_id: str, **arguments: Any) -> Any:
        return _kms(op, doing, operation, f"Key ({key_id})", KeyId=key_id, **arguments)

    def create(self, op: Op) -> Made:
        arguments = {
            "Description": op.get("description", ""),
            "KeyUsage": op.get("keyUsage", "ENCRYPT_DECRYPT"),
            "KeySpec": op.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
            "Tags": op.tag_list("TagKey", "TagValue"),
            **op.given({"policy": "Policy"}),
        }
        key_id = _kms(op, "creating", "CreateKey", "Key", **arguments)["KeyMetadata"]["KeyId"]
        if op.get("enableKeyRotation"):
            self._rotate(op, key_id)
        return key_id, self.outputs(op, key_id)

    def _rotate(self, op: Op, key_id: str) -> None:
        rotate = "EnableKeyRotation" if op.get("enableKeyRotation") else "DisableKeyRotation"
        self._call(op, "updating", rotate, key_id)

    def outputs(self, op: Op, key_id: str) -> Props:
        key = self._call(op, "reading", "DescribeKey", key_id)["KeyMetadata"]
        policy = self._call(op, "reading", "GetKeyPolicy", key_id, PolicyName="default")
        rotation = self._call(op, "reading", "GetKeyRotationStatus", key_id)
        return {
            "arn": key["Arn"],
            "keyId": key_id,
            "description": key.get("Description", ""),
            "isEnabled": key.get("Enabled", True),
            "enableKeyRotation": rotation.get("KeyRotationEnabled", False),
            "policy": policy["Policy"],
        }

    def read(self, op: Op, key_id: str) -> Props | None:
        def live() -> Props | None:
            # The provider drops a key pending deletion from the state: to it, the key is gone.
            state = self._call(op, "reading", "DescribeKey", key_id)["KeyMetadata"]["KeyState"]
            return None if state == "PendingDeletion" else self.outputs(op, key_id)

        return gone_if_missing(live)

    def update(self, op: Op, key_id: str) -> Props:
        key_usable_for_changes(op, key_id, "UpdateKeyDescription")
        if op.changed("description"):
            description = op.get("description", "")
            self._call(op, "updating", "UpdateKeyDescription", key_id, Description=description)
        if op.changed("policy") and op.get("policy"):
            policy = {"PolicyName": "default", "Policy": op.get("policy")}
            self._call(op, "updating", "PutKeyPolicy", key_id, **policy)
        if op.changed("enableKeyRotation"):
            self._rotate(op, key_id)
        return self.outputs(op, key_id)

    def retag(self, op: Op, key_id: str) -> None:
        self._call(op, "tagging", "TagResource", key_id, Tags=op.tag_list("TagKey", "TagValue"))

    def delete(self, op: Op, key_id: str) -> None:
        window = int(op.old("deletionWindowInDays") or DEFAULT_DELETION_WINDOW_DAYS)
        self._call(op, "deleting", "ScheduleKeyDeletion", key_id, PendingWindowInDays=window)


class _Alias(Untagged):
    def _put(self, op: Op, doing: str, operation: str) -> Made:
        name, target = str(op.get("name")), op.get("targetKeyId")
        _kms(op, doing, operation, f"Alias ({name})", AliasName=name, TargetKeyId=target)
        return name, self.read(op, name) or {}

    def create(self, op: Op) -> Made:
        return self._put(op, "creating", "CreateAlias")

    def read(self, op: Op, name: str) -> Props | None:
        aliases = _kms(op, "reading", "ListAliases", f"Alias ({name})")["Aliases"]
        alias = next((alias for alias in aliases if alias["AliasName"] == name), None)
        if alias is None:
            return None
        target = alias.get("TargetKeyId", "")
        return {
            "arn": alias["AliasArn"],
            "name": name,
            "targetKeyId": op.get("targetKeyId", target),
            "targetKeyArn": op.arn("kms", f"key/{target}"),
        }

    def update(self, op: Op, name: str) -> Props:
        return self._put(op, "updating", "UpdateAlias")[1]

    def delete(self, op: Op, name: str) -> None:
        if self.read(op, name) is not None:
            _kms(op, "deleting", "DeleteAlias", f"Alias ({name})", AliasName=name)


KINDS = {t.KMS_KEY: _Key(), t.KMS_ALIAS: _Alias()}
