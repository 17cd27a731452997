"""Test data: deliberate breaks of the compliant environment, one control each.

Each `Break` names the rule that must catch it; the rule tests check that it does, and the
Checkov agreement test that Checkov's counterpart checks fail on it too.
"""

from __future__ import annotations

from tests.policy.break_case import Break
from tests.policy.compute_breaks import COMPUTE_BREAKS
from tests.policy.encryption_breaks import COVERAGE_BREAKS, ENCRYPTION_BREAKS
from tests.policy.storage_breaks import STORAGE_BREAKS

BREAKS: list[Break] = [*STORAGE_BREAKS, *COMPUTE_BREAKS, *ENCRYPTION_BREAKS, *COVERAGE_BREAKS]

__all__ = ["BREAKS", "Break"]
