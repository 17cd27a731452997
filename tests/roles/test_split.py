"""A team's policy cut into managed policies within AWS's size limit, statements unchanged."""

from __future__ import annotations

import pytest

from orchestration.roles.documents import TeamRole
from orchestration.roles.split import (
    ATTACHED_POLICIES_MAX,
    MANAGED_POLICY_MAX,
    PolicyTooLarge,
    compact_size,
    split_policy,
)


def test_every_part_fits_and_together_they_are_the_policy(
    roles: dict[str, list[TeamRole]],
) -> None:
    for found in roles.values():
        for role in found:
            parts = split_policy(role.policy)
            assert all(compact_size(part) <= MANAGED_POLICY_MAX for part in parts)
            joined = [s for part in parts for s in part["Statement"]]
            assert joined == role.policy["Statement"]
            assert len(parts) <= ATTACHED_POLICIES_MAX


def _statement(index: int, size: int) -> dict[str, object]:
    return {"Sid": f"S{index}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "x" * size}


def test_a_statement_larger_than_a_managed_policy_is_refused() -> None:
    policy = {"Version": "2012-10-17", "Statement": [_statement(1, MANAGED_POLICY_MAX)]}
    with pytest.raises(PolicyTooLarge, match="statement S1 alone exceeds the limit"):
        split_policy(policy)


def test_more_parts_than_a_role_takes_is_refused() -> None:
    statements = [_statement(index, MANAGED_POLICY_MAX // 2) for index in range(30)]
    with pytest.raises(PolicyTooLarge, match="a role takes 10"):
        split_policy({"Version": "2012-10-17", "Statement": statements})
