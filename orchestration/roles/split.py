"""A permission policy cut into managed policies AWS accepts.

A customer managed policy holds at most 6,144 characters, whitespace not counted, and a role's
inline policies 10,240 together (IAM and AWS STS quotas); a role takes 10 managed policies
unless the account raised the quota. A team's policy is cut at statement boundaries into as
few parts as fit; the statements are unchanged, so the parts allow exactly what the whole does.
"""

from __future__ import annotations

import json
from typing import Any

MANAGED_POLICY_MAX = 6144
ATTACHED_POLICIES_MAX = 10
_ENVELOPE = len('{"Version":"2012-10-17","Statement":[]}')


class PolicyTooLarge(ValueError):
    """Even cut at statements, the policy needs more managed policies than a role may take."""


def compact_size(document: Any) -> int:
    """The size AWS counts: the JSON without whitespace."""
    return len(json.dumps(document, separators=(",", ":")))


def split_policy(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The policy as managed policy documents, each within AWS's size limit."""
    parts: list[list[dict[str, Any]]] = [[]]
    size = _ENVELOPE
    for statement in policy["Statement"]:
        cost = compact_size(statement) + 1
        if cost + _ENVELOPE > MANAGED_POLICY_MAX:
            raise PolicyTooLarge(f"statement {statement.get('Sid')} alone exceeds the limit")
        if size + cost > MANAGED_POLICY_MAX and parts[-1]:
            parts.append([])
            size = _ENVELOPE
        parts[-1].append(statement)
        size += cost
    if len(parts) > ATTACHED_POLICIES_MAX:
        raise PolicyTooLarge(
            f"the policy needs {len(parts)} managed policies; a role takes "
            f"{ATTACHED_POLICIES_MAX} (ask AWS to raise the quota, or split the project)"
        )
    return [{"Version": policy["Version"], "Statement": statements} for statements in parts]
