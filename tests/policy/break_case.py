"""One deliberate break of the compliant environment: the rule that must catch it, and where."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.policy.baseline_stack import Stack


@dataclass(frozen=True)
class Break:
    """One deliberate violation: which rule must fire, on which resource, after which edit."""

    rule: str
    what: str
    edit: Callable[[Stack, str], Stack]
    resource: str  # logical name, `{env}` filled in
    environments: tuple[str, ...] = ("development", "production")
