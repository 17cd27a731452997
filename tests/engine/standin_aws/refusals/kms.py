"""TEST-ONLY stand-in: what KMS refuses and the emulator accepts."""

from __future__ import annotations

from tests.engine.standin_aws.errors import AwsError
from tests.engine.standin_aws.kinds.base import Op


def key_usable_for_changes(op: Op, key_id: str, operation: str) -> None:
    """A key pending deletion takes no changes until its deletion is cancelled.

    AWS KMS Developer Guide, "Key states of AWS KMS keys": in the PendingDeletion state every
    operation but Describe/List/CancelKeyDeletion (and tagging reads) fails with
    KMSInvalidStateException. moto 5.2 still updates a pending key.
    """
    key = op.call(f"reading KMS Key ({key_id})", "kms", "DescribeKey", KeyId=key_id)
    metadata = key["KeyMetadata"]
    if metadata["KeyState"] == "PendingDeletion":
        raise AwsError(
            f"updating KMS Key ({key_id})",
            "KMS",
            operation,
            "KMSInvalidStateException",
            f"{metadata['Arn']} is pending deletion.",
        )
