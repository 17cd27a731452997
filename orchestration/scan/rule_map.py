"""Our rules and Checkov's checks: which checks of Checkov each of our rules corresponds to.

Each rule lists the ids of the same control in other tools (`Rule.references`); the Checkov ones
are its counterparts. Our rules decide what blocks a deploy; the map lets a scan say which of
our rules a Checkov finding echoes, and lets tests hold Checkov to agreeing with us on our
violating fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestration.scan.suppressions import CHECK_ID
from program.policy import RULES, Rule


def checkov_ids(rule: Rule) -> tuple[str, ...]:
    """The Checkov checks `rule` corresponds to (from its references)."""
    return tuple(reference for reference in rule.references if CHECK_ID.match(reference))


def rules_for_check(check_id: str, rules: Iterable[Rule] = RULES) -> tuple[str, ...]:
    """Ids of our rules that correspond to a Checkov check."""
    return tuple(rule.id for rule in rules if check_id in checkov_ids(rule))
