"""What `invoke state migrate` says about one stack it read in the source and in the target.

Counts, not lists: a stack's resources run to dozens of URNs, which would bury the one line
that matters (did it verify, and if not, what differs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def verification_summary(stack: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """The line for a verified stack: counts of what it holds."""
    return (
        f"  verified {stack}: {len(before['outputs'])} outputs, "
        f"{len(before['resources'])} resources, {after['updates']} past updates"
    )


def verification_problems(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What differs between a stack read in the source and in the target (counts, not URNs:
    a stack's resource list runs to dozens of lines)."""
    problems = []
    if before["outputs"] != after["outputs"]:
        keys = sorted(
            key
            for key in {*before["outputs"], *after["outputs"]}
            if before["outputs"].get(key) != after["outputs"].get(key)
        )
        problems.append(f"outputs differ: {', '.join(keys)}")
    if before["resources"] != after["resources"]:
        problems.append(
            f"resources differ: {len(before['resources'])} in the source, "
            f"{len(after['resources'])} in the target"
        )
    if after["updates"] < before["updates"]:
        problems.append(
            f"the target shows {after['updates']} of the {before['updates']} past updates"
        )
    return problems
