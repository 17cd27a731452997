"""`invoke affected`: which projects a change touches, derived from the code (see rules.py)."""

from orchestration.affected.git import AffectedError
from orchestration.affected.rules import Affected, Layout, Reason, every_project, find_affected

__all__ = ["Affected", "AffectedError", "Layout", "Reason", "every_project", "find_affected"]
