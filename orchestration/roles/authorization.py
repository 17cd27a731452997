"""AWS's Service Authorization Reference, for the actions our policies use.

Per action: its resource types (those marked required must all be allowed for the request to
pass), and per resource type the condition keys AWS evaluates; per resource type its ARN
format. Read from `service_authorization.json`, an extract of the Reference for exactly the
actions `policy.py` may write, which `invoke generate` makes from the copy the IAM linter
parliament ships (`tooling/service_authorization.py`), so the product needs no linter at run
time and `invoke generate --check` fails when the table uses an action the extract lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

EXTRACT = Path(__file__).with_name("service_authorization.json")
# The keys the policies condition on, as the Reference spells them.
REQUEST_TAG = "aws:RequestTag/${TagKey}"
RESOURCE_TAG = "aws:ResourceTag/${TagKey}"


class AuthorizationError(ValueError):
    """An action or resource type the extract does not hold; the text says what to run."""


@dataclass(frozen=True)
class ResourceRow:
    """One resource type an action applies to ("" for the action itself, without resource)."""

    service: str
    type: str
    required: bool
    conditions: frozenset[str]

    @property
    def key(self) -> str:
        return f"{self.service}:{self.type}"


@dataclass(frozen=True)
class ActionFacts:
    """What the Reference says about one action."""

    action: str
    rows: tuple[ResourceRow, ...]

    @property
    def resource_rows(self) -> tuple[ResourceRow, ...]:
        return tuple(row for row in self.rows if row.type)

    @property
    def action_conditions(self) -> frozenset[str]:
        """The keys of the action's own row (for actions without a resource type)."""
        return frozenset().union(*(row.conditions for row in self.rows if not row.type))


@cache
def _extract() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EXTRACT.read_text("utf-8"))
    return loaded


def facts(action: str) -> ActionFacts:
    """The Reference's facts of `service:Action`; AuthorizationError when the extract lacks it."""
    entry = _extract()["actions"].get(action)
    if entry is None:
        raise AuthorizationError(
            f"{action} is not in {EXTRACT.name}: run `invoke generate` to extract it from the "
            "Service Authorization Reference (or correct the action's name)"
        )
    service = action.split(":", 1)[0]
    # The keys AWS evaluates for a resource of the request: its row's, the action's own (its
    # row without a type) and the resource type's (the Reference's resource types table).
    own = frozenset(
        key for row in entry["resources"] if not row["type"] for key in row["conditions"]
    )
    rows = tuple(
        ResourceRow(
            service,
            row["type"],
            row["required"],
            frozenset(row["conditions"]) | own | _type_conditions(f"{service}:{row['type']}"),
        )
        for row in entry["resources"]
    )
    return ActionFacts(action, rows)


def _type_conditions(resource: str) -> frozenset[str]:
    found = _extract()["resources"].get(resource)
    return frozenset(found["conditions"]) if found else frozenset()


def arn_format(resource: str) -> str:
    """The ARN format of `service:type`, with `${Partition}`, `${Region}`, `${Account}` ..."""
    try:
        return str(_extract()["resources"][resource]["arn"])
    except KeyError:
        raise AuthorizationError(
            f"resource type {resource} is not in {EXTRACT.name}: run `invoke generate`"
        ) from None
