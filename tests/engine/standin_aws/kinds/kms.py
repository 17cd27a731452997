"""TEST-ONLY stand-in: KMS keys and aliases in the emulated account."""

from __future__ import annotations

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Made, Op, gone_if_missing
from tests.engine.standin_aws.refusals import kms as refusals
from tests.engine.standin_aws.wire import Props

# AWS's longest waiting period, and the provider's default for deletionWindowInDays.
DEFAULT_DELETION_WINDOW_DAYS = 30


def _create_key(op: Op) -> Made:
    action = "creating KMS Key"
    arguments = {
        "Description": op.get("description", ""),
        "KeyUsage": op.get("keyUsage", "ENCRYPT_DECRYPT"),
        "KeySpec": op.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
        "MultiRegion": bool(op.get("multiRegion", False)),
        "BypassPolicyLockoutSafetyCheck": bool(op.get("bypassPolicyLockoutSafetyCheck", False)),
        "Tags": op.tag_list("TagKey", "TagValue"),
    }
    if op.get("policy"):
        arguments["Policy"] = op.get("policy")
    key = op.call(action, "kms", "CreateKey", **arguments)["KeyMetadata"]
    if op.get("enableKeyRotation"):
        _rotate(op, key["KeyId"], True)
    return key["KeyId"], _key_outputs(op, key["KeyId"])


def _rotate(op: Op, key_id: str, enabled: bool) -> None:
    action = f"updating KMS Key ({key_id}) rotation"
    if enabled:
        period = op.get("rotationPeriodInDays")
        extra = {"RotationPeriodInDays": int(period)} if period else {}
        op.call(action, "kms", "EnableKeyRotation", KeyId=key_id, **extra)
    else:
        op.call(action, "kms", "DisableKeyRotation", KeyId=key_id)


def _key_outputs(op: Op, key_id: str) -> Props:
    action = f"reading KMS Key ({key_id})"
    key = op.call(action, "kms", "DescribeKey", KeyId=key_id)["KeyMetadata"]
    policy = op.call(action, "kms", "GetKeyPolicy", KeyId=key_id, PolicyName="default")
    rotation = op.call(action, "kms", "GetKeyRotationStatus", KeyId=key_id)
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
        state = op.call(f"reading KMS Key ({key_id})", "kms", "DescribeKey", KeyId=key_id)
        if state["KeyMetadata"]["KeyState"] == "PendingDeletion":
            # The provider drops a key pending deletion from the state: to it, the key is gone.
            return {}
        return _key_outputs(op, key_id)

    outputs = gone_if_missing(read)
    return outputs or None


def _update_key(op: Op, key_id: str) -> Props:
    action = f"updating KMS Key ({key_id})"
    refusals.key_usable_for_changes(op, key_id, "UpdateKeyDescription")
    if op.changed("description"):
        op.call(
            action,
            "kms",
            "UpdateKeyDescription",
            KeyId=key_id,
            Description=op.get("description", ""),
        )
    if op.changed("policy") and op.get("policy"):
        op.call(
            action,
            "kms",
            "PutKeyPolicy",
            KeyId=key_id,
            PolicyName="default",
            Policy=op.get("policy"),
        )
    if op.changed("enableKeyRotation", "rotationPeriodInDays"):
        _rotate(op, key_id, bool(op.get("enableKeyRotation")))
    return _key_outputs(op, key_id)


def _delete_key(op: Op, key_id: str) -> None:
    window = int(op.old("deletionWindowInDays") or DEFAULT_DELETION_WINDOW_DAYS)
    op.call(
        f"deleting KMS Key ({key_id})",
        "kms",
        "ScheduleKeyDeletion",
        KeyId=key_id,
        PendingWindowInDays=window,
    )


def _retag_key(op: Op, key_id: str) -> None:
    op.call(
        f"tagging KMS Key ({key_id})",
        "kms",
        "TagResource",
        KeyId=key_id,
        Tags=op.tag_list("TagKey", "TagValue"),
    )


def _alias(op: Op, name: str) -> dict[str, str] | None:
    aliases = op.call(f"reading KMS Alias ({name})", "kms", "ListAliases")["Aliases"]
    return next((alias for alias in aliases if alias["AliasName"] == name), None)


def _alias_outputs(op: Op, name: str) -> Props | None:
    alias = _alias(op, name)
    if alias is None:
        return None
    target = alias.get("TargetKeyId", "")
    return {
        "arn": alias["AliasArn"],
        "name": name,
        "targetKeyId": op.get("targetKeyId", target),
        "targetKeyArn": op.arn("kms", f"key/{target}"),
    }


def _create_alias(op: Op) -> Made:
    name = str(op.get("name"))
    op.call(
        f"creating KMS Alias ({name})",
        "kms",
        "CreateAlias",
        AliasName=name,
        TargetKeyId=op.get("targetKeyId"),
    )
    return name, _alias_outputs(op, name) or {}


def _update_alias(op: Op, name: str) -> Props:
    op.call(
        f"updating KMS Alias ({name})",
        "kms",
        "UpdateAlias",
        AliasName=name,
        TargetKeyId=op.get("targetKeyId"),
    )
    return _alias_outputs(op, name) or {}


def _delete_alias(op: Op, name: str) -> None:
    if _alias(op, name) is not None:
        op.call(f"deleting KMS Alias ({name})", "kms", "DeleteAlias", AliasName=name)


KINDS = {
    t.KMS_KEY: Kind(_create_key, _read_key, _delete_key, _update_key, _retag_key),
    t.KMS_ALIAS: Kind(_create_alias, _alias_outputs, _delete_alias, _update_alias, tagged=False),
}
