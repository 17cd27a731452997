"""The output contract's values: what a producer may hand its consumers, checked one by one.

Declaring an export (shared/topology.py) only says that it exists. A value can still be
useless: `""` where a KMS key ARN belongs passes an `is None` check, and a consumer then
encrypts with nothing (storage would fall back to AWS's managed key). So every place the
contract is checked (the offline plan, a deploy's exports, a consumer's StackReference reads)
asks `export_problem`: a value must not be empty (unless the topology lets it be), and an ARN
must parse as its kind of ARN, in the environment's partition, region and, where it is known,
account.
"""

from __future__ import annotations

import re
from typing import Any

from shared.aws_facts import partition_of
from shared.topology import KMS_KEY_ARN

# Exports that hold a KMS key ARN (never an alias ARN: grants and key policies need the key).
KMS_KEY_ARN_EXPORTS = frozenset({KMS_KEY_ARN})
_KMS_KEY_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"key/[A-Za-z0-9-]+"
)
_EMPTY: tuple[Any, ...] = ("", [], {})


def export_problem(
    key: str, value: Any, *, may_be_empty: bool, region: str, account: str | None = None
) -> str | None:
    """Why `value` is not a valid value of export `key` (None when it is).

    `region`: the environment's; `account`: the account deployed into, when the caller knows it.
    """
    if value is None:
        return "is missing"
    if any(value == empty and type(value) is type(empty) for empty in _EMPTY):
        return None if may_be_empty else "is empty: its consumers would read nothing"
    if key in KMS_KEY_ARN_EXPORTS:
        return _kms_key_arn_problem(value, region, account)
    return None


def _kms_key_arn_problem(value: Any, region: str, account: str | None) -> str | None:
    match = _KMS_KEY_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return "is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>)"
    partition = partition_of(region)
    if match["partition"] != partition:
        return f"is in partition {match['partition']}, not {partition}"
    if match["region"] != region:
        return f"is in region {match['region']}, not {region}"
    if account is not None and match["account"] != account:
        return f"belongs to account {match['account']}, not {account} (the one deployed into)"
    return None
