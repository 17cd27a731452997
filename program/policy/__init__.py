"""The security rules, defined once and enforced three ways.

The offline plan (`invoke plan`), the CrossGuard policy pack (`policy-pack/`) and the tests
evaluate the same `RULES` on the same input shape (`Resource`s of one stack in a `StackView`).
`invoke verify` checks the deployed environment against the same baseline with boto3.
"""

from program.policy.model import (
    UNKNOWN,
    Enforcement,
    Resource,
    Rule,
    Scope,
    StackView,
    Violation,
    is_unknown,
)
from program.policy.registry import RULES, evaluate, rule_by_id

__all__ = [
    "RULES",
    "UNKNOWN",
    "Enforcement",
    "Resource",
    "Rule",
    "Scope",
    "StackView",
    "Violation",
    "evaluate",
    "is_unknown",
    "rule_by_id",
]
