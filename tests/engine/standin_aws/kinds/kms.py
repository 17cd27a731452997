"""TEST-ONLY stand-in: KMS keys and aliases in the emulated account."""

from __future__ import annotations

from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, gone_if_missing
from tests.engine.standin_aws.refusals.kms import key_usable_for_changes
from tests.engine.standin_aws.wire import Props

# AWS's longest waiting period, and the provider's default for deletionWindowInDays.
DEFAULT_DELETION_WINDOW_DAYS = 30


def _kms(op: Op, doing: str, operation: str, what: str, **arguments: Any) -> Any:
    return op.call(f"{doing} KMS {what}", "kms", operation, **arguments)


def _create_key(op: Op) -> Made:
    arguments = {
        "Description": op.get("description", ""),
        "KeyUsage": op.get("keyUsage", "ENCRYPT_DECRYPT"),
        "KeySpec": op.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
        "MultiRegion": bool(op.get("multiRegion", False)),
        "BypassPolicyLockoutSafetyCheck": bool(op.get("bypassPolicyLockoutSafetyCheck", False)),
        "Tags": op.tag_list("TagKey", "TagValue"),
        **op.given({"policy": "Policy"}),
    }
    key_id = _kms(op, "creating", "CreateKey", "Key", **arguments)["KeyMetadata"]["KeyId"]
    if op.get("enableKeyRotation"):
        _rotate(op, key_id)
    return key_id, _key_outputs(op, key_id)


def _rotate(op: Op, key_id: str) -> None:
    what = f"Key ({key_id}) rotation"
    if not op.get("enableKeyRotation"):
        _kms(op, "updating", "DisableKeyRotation", what, KeyId=key_id)
        return
    period = op.get("rotationPeriodInDays")
    extra = {"RotationPeriodInDays": int(period)} if period else {}
    _kms(op, "updating", "EnableKeyRotation", what, KeyId=key_id, **extra)


def _key_outputs(op: Op, key_id: str) -> Props:
    what = f"Key ({key_id})"
    key = _kms(op, "reading", "DescribeKey", what, KeyId=key_id)["KeyMetadata"]
    policy = _kms(op, "reading", "GetKeyPolicy", what, KeyId=key_id, PolicyName="default")
    rotation = _kms(op, "reading", "GetKeyRotationStatus", what, KeyId=key_id)
    return {
        "arn": key["Arn"],
        "keyId": key_id,
        "description": key.get("Description", ""),
        "isEnabled": key.get("Enabled", True),
        "enableKeyRotation": rotation.get("KeyRotationEnabled", False),
        "policy": policy["Policy"],
    }


def _read_key(op: Op, key_id: str) -> Props | None:
    def read() -> Props:
        state = _kms(op, "reading", "DescribeKey", f"Key ({key_id})", KeyId=key_id)
        # The provider drops a key pending deletion from the state: to it, the key is gone.
        pending = state["KeyMetadata"]["KeyState"] == "PendingDeletion"
        return {} if pending else _key_outputs(op, key_id)

    return gone_if_missing(read) or None


def _update_key(op: Op, key_id: str) -> Props:
    what = f"Key ({key_id})"
    key_usable_for_changes(op, key_id, "UpdateKeyDescription")
    if op.changed("description"):
        description = op.get("description", "")
        _kms(op, "updating", "UpdateKeyDescription", what, KeyId=key_id, Description=description)
    if op.changed("policy") and op.get("policy"):
        policy = {"PolicyName": "default", "Policy": op.get("policy")}
        _kms(op, "updating", "PutKeyPolicy", what, KeyId=key_id, **policy)
    if op.changed("enableKeyRotation", "rotationPeriodInDays"):
        _rotate(op, key_id)
    return _key_outputs(op, key_id)


def _delete_key(op: Op, key_id: str) -> None:
    window = int(op.old("deletionWindowInDays") or DEFAULT_DELETION_WINDOW_DAYS)
    what = f"Key ({key_id})"
    _kms(op, "deleting", "ScheduleKeyDeletion", what, KeyId=key_id, PendingWindowInDays=window)


def _retag_key(op: Op, key_id: str) -> None:
    tags = op.tag_list("TagKey", "TagValue")
    _kms(op, "tagging", "TagResource", f"Key ({key_id})", KeyId=key_id, Tags=tags)


def _alias_outputs(op: Op, name: str) -> Props | None:
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


def _put_alias(op: Op, doing: str, operation: str) -> Made:
    name = str(op.get("name"))
    target = op.get("targetKeyId")
    _kms(op, doing, operation, f"Alias ({name})", AliasName=name, TargetKeyId=target)
    return name, _alias_outputs(op, name) or {}


def _delete_alias(op: Op, name: str) -> None:
    if _alias_outputs(op, name) is not None:
        _kms(op, "deleting", "DeleteAlias", f"Alias ({name})", AliasName=name)


KINDS = {
    t.KMS_KEY: Kind(_create_key, _read_key, _delete_key, _update_key, _retag_key),
    t.KMS_ALIAS: Kind(
        lambda op: _put_alias(op, "creating", "CreateAlias"),
        _alias_outputs,
        _delete_alias,
        lambda op, name: _put_alias(op, "updating", "UpdateAlias")[1],
        tagged=False,
    ),
}
