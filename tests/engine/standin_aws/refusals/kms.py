"""TEST-ONLY stand-in: what KMS refuses and the emulator accepts; whether a principal may use a
key (moto keeps key policies and grants but never evaluates them for another principal)."""

from __future__ import annotations

from collections.abc import Mapping

from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.kinds.base import Op
from tests.engine.standin_aws.refusals.policies import allows


def key_usable_for_changes(op: Op, key_id: str, operation: str) -> None:
    """A key pending deletion takes no changes until its deletion is cancelled (KMS Developer
    Guide, "Key states of AWS KMS keys": KMSInvalidStateException). moto updates it."""
    metadata = op.call("reading KMS Key", "kms", "DescribeKey", KeyId=key_id)["KeyMetadata"]
    if metadata["KeyState"] == "PendingDeletion":
        message = f"{metadata['Arn']} is pending deletion."
        action = f"updating KMS Key ({key_id})"
        raise AwsError(action, "KMS", operation, "KMSInvalidStateException", message)


def refused_actions(
    op: Op,
    key: str,
    principal: Mapping[str, str],
    actions: tuple[str, ...],
    context: Mapping[str, str],
) -> list[str]:
    """The `actions` the key does not let `principal` ({"AWS": arn} or {"Service": name}) do,
    by its key policy or a grant; all of them if the key is missing, disabled or pending
    deletion. For an AWS service or a service-linked role, a statement for the account root
    does not count (they get no KMS rights from IAM); asked about the account root itself (a
    caller using the key through a service), it does.
    https://docs.aws.amazon.com/kms/latest/developerguide/policy-evaluation.html
    https://docs.aws.amazon.com/kms/latest/developerguide/grants.html"""
    kms = op.aws.client("kms")
    try:
        state = kms.describe_key(KeyId=key)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return list(actions)
    if state.get("KeyState") != "Enabled":
        return list(actions)
    policy = kms.get_key_policy(KeyId=state["KeyId"], PolicyName="default")["Policy"]
    grants = kms.list_grants(KeyId=state["KeyId"])["Grants"]
    granted = {
        operation
        for grant in grants
        if grant.get("GranteePrincipal") in principal.values()
        for operation in grant.get("Operations", [])
    }
    return [
        wanted
        for wanted in actions
        if wanted.removeprefix("kms:") not in granted
        and not allows(policy, wanted, principal, context)
    ]
