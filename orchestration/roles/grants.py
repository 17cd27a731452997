"""Which resources, under which conditions, one action is allowed on: the scoping rules.

For each resource type the Service Authorization Reference lists for an action:
- named in the plan (a bucket, a role, a log group, a key alias, the managed policy attached):
  exactly those ARNs;
- created by one of the project's types: for the action that creates it, the request must carry
  the project's `Environment` and `Component` tags (`aws:RequestTag`); for every other action,
  the resource must carry them (`aws:ResourceTag`), where the Reference says the key applies;
- AWS's own (the public images the servers boot, `FOREIGN`): by ARN pattern;
- anything else is another team's or unused: left out. A required resource type left out is
  an error naming the action, so the table cannot produce a policy AWS would refuse.
An action without resource types (describes, `kms:CreateKey`) is allowed on `*`, and for a
create, on the request's tags where AWS supports it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.roles.authorization import (
    REQUEST_TAG,
    RESOURCE_TAG,
    ResourceRow,
    arn_format,
    facts,
)

# (operator, key, values): one condition of a statement.
Condition = tuple[tuple[str, str, tuple[str, ...]], ...]
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z]+\}")
# Resource types AWS owns that our resources are made from, and their ARN patterns.
FOREIGN = {"ec2:image": "arn:{partition}:ec2:{region}::image/*"}
# What a resource without our tags (AWS's, or made on the side of a launch) must be instead:
# the baseline where AWS has a key for it. The network interface a launch makes has no key
# of its own to say more than that it is in a subnet (which must be the project's).
UNTAGGED: dict[str, Condition] = {
    "ec2:image": (("StringEquals", "ec2:Owner", ("amazon",)),),
    "ec2:instance": (("StringEquals", "ec2:MetadataHttpTokens", ("required",)),),
    "ec2:volume": (("Bool", "ec2:Encrypted", ("true",)),),
    "ec2:network-interface": (("Null", "ec2:Subnet", ("false",)),),
}
# The tags every resource of a project carries (shared.naming.tags) that scope its policy.
SCOPING_TAGS = ("Environment", "Component")


class RolesError(ValueError):
    """A policy cannot be made from the plan; the text says which row or type to add."""


@dataclass(frozen=True, order=True)
class Grant:
    """One action allowed on one resource under a condition."""

    action: str
    resource: str
    condition: Condition = ()


@dataclass
class Scope:
    """What one project's plan says its policy may reach."""

    partition: str
    region: str
    account: str
    # The project's scoping tags (Environment, Component) and their values.
    tags: Mapping[str, str]
    # `service:type` -> the names (or ARNs) the plan gives resources of that type.
    named: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # `service:type` created by the project's types -> the actions that create it.
    creators: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # The first resource type of each of the project's types: the one its create is tagged on.
    primary: set[str] = field(default_factory=set)

    def grants(self, action: str, *, creating: bool, tagging: bool = False) -> list[Grant]:
        """The grants of `action`; RolesError when a required resource type is out of reach.

        `creating`: the action creates or tags (its request carries the tags); `tagging`: it
        only tags, so it never reaches AWS's resources or those created on the side.
        """
        found = facts(action)
        if not found.resource_rows:
            condition: Condition = ()
            if creating and REQUEST_TAG in found.action_conditions:
                condition = self._tag_condition("aws:RequestTag")
            return [Grant(action, "*", condition)]
        grants = []
        # A required type AWS splits by kind (`listener/app`, `listener/net`) is one choice.
        missing: dict[str, bool] = {}
        for row in found.resource_rows:
            reached = self._reach(action, row, tagging=tagging)
            family = row.type.split("/", 1)[0]
            if row.required:
                missing[family] = missing.get(family, True) and not reached
            grants.extend(reached)
        unreached = sorted(family for family, absent in missing.items() if absent)
        if unreached:
            raise RolesError(
                f"{action} needs resource type {found.rows[0].service}:{unreached[0]}, which "
                "this project neither names nor creates: add it to a row's `creates` or "
                "`names` in orchestration/roles/rows_*.py, or FOREIGN in grants.py"
            )
        if not grants:
            raise RolesError(f"{action}: none of its resource types is this project's")
        return self._with_tagged(grants)

    def _with_tagged(self, grants: list[Grant]) -> list[Grant]:
        """A named resource's grant, where the action also needs a tagged one, under IfExists.

        AWS authorizes `kms:CreateAlias` on the alias (untaggable: named) and on the key
        (tagged) separately; a linter wants both in one statement. The alias's grant takes
        the tags as `StringEqualsIfExists`: the alias has none, so its name alone decides,
        and the key listed beside it must carry ours if it carries any.
        """
        if not any(grant.condition for grant in grants):
            return grants
        if_exists = tuple(
            ("StringEqualsIfExists", key, value)
            for _op, key, value in self._tag_condition("aws:ResourceTag")
        )
        return [
            grant
            if grant.condition or grant.resource == "*"
            else Grant(grant.action, grant.resource, if_exists)
            for grant in grants
        ]

    def _reach(self, action: str, row: ResourceRow, *, tagging: bool) -> list[Grant]:
        if row.key in self.named:
            names = sorted(self.named[row.key])
            return [Grant(action, arn) for name in names for arn in self.arns(row, name)]
        if row.key in FOREIGN:
            foreign = FOREIGN[row.key].format(**self._fields())
            return [] if tagging else [Grant(action, foreign, UNTAGGED.get(row.key, ()))]
        kind = self._kind_of(row)
        if kind is None:
            return []
        wildcard = self.arn(row.key)
        if kind not in self.primary:
            # Made on the side (an instance's volume): only by the action that makes it.
            made_here = action in self.creators[kind] and not tagging
            return [Grant(action, wildcard, UNTAGGED.get(row.key, ()))] if made_here else []
        grants = []
        if action in self.creators[kind] and REQUEST_TAG in row.conditions:
            grants.append(Grant(action, wildcard, self._tag_condition("aws:RequestTag")))
        if RESOURCE_TAG in row.conditions:
            grants.append(Grant(action, wildcard, self._tag_condition("aws:ResourceTag")))
        return grants or [Grant(action, wildcard)]

    def _kind_of(self, row: ResourceRow) -> str | None:
        """The project's resource type `row` is: itself, or its sibling of another kind.

        AWS splits some types by kind (`listener/app`, `listener/net`) and lists both as
        required; the project's own kind stands for both, under the same tags.
        """
        if row.key in self.creators:
            return row.key
        family = row.key.split("/", 1)[0]
        return next((kind for kind in self.creators if kind.split("/", 1)[0] == family), None)

    def arn(self, resource: str, name: str = "*") -> str:
        """The ARN of `service:type` in this account and region, its own id `name`."""
        text = arn_format(resource)
        for field_name, value in self._fields().items():
            text = text.replace("${" + field_name.title() + "}", value)
        text = _PLACEHOLDER.sub(lambda _match: name, text, count=1)
        return _PLACEHOLDER.sub("*", text)

    def arns(self, row: ResourceRow, name: str) -> list[str]:
        if name.startswith("arn:"):
            return [name]
        if row.key == "s3:object":
            return [self.arn("s3:bucket", name) + "/*"]
        if row.key == "kms:alias":
            return [self.arn(row.key, name.removeprefix("alias/"))]
        if row.key == "logs:log-group":
            # CloudWatch Logs authorizes some calls on the group, others on its streams.
            return [self.arn(row.key, name), self.arn(row.key, name) + ":*"]
        return [self.arn(row.key, name)]

    def _fields(self) -> dict[str, str]:
        return {"partition": self.partition, "region": self.region, "account": self.account}

    def _tag_condition(self, prefix: str) -> Condition:
        return tuple(("StringEquals", f"{prefix}/{key}", (self.tags[key],)) for key in SCOPING_TAGS)


def statements(grants: Iterable[Grant], sid: str) -> list[dict[str, Any]]:
    """Grants folded into statements: one per condition and set of resources, sorted.

    A linter (parliament) judges each statement alone and wants every required resource type
    of each action in it, while AWS evaluates a condition for each resource of a request: a
    create's new subnet by the request's tags, its existing VPC by the VPC's. So a statement
    with a condition also lists the action's required types granted under another condition;
    AWS evaluates them against a key their row of the Reference does not carry (the VPC has no
    request tag), which never matches, so they add nothing.
    """
    unique = set(grants)
    by_condition: dict[Condition, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for grant in unique:
        by_condition[grant.condition][grant.action].add(grant.resource)
    for condition, granted in by_condition.items():
        if condition:
            for action, arns in granted.items():
                arns.update(_required_elsewhere(action, arns, unique))
    folded: list[dict[str, Any]] = []
    for condition in sorted(by_condition):
        by_resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for action, arns in by_condition[condition].items():
            by_resources[tuple(sorted(arns))].append(action)
        for resources, names in sorted(by_resources.items()):
            statement: dict[str, Any] = {
                "Sid": f"{sid}{len(folded) + 1}",
                "Effect": "Allow",
                "Action": sorted(names),
                "Resource": list(resources) if len(resources) > 1 else resources[0],
            }
            if condition:
                statement["Condition"] = condition_document(condition)
            folded.append(statement)
    return folded


def _required_elsewhere(action: str, present: set[str], grants: set[Grant]) -> set[str]:
    """The ARNs of `action`'s required resource types that `present` lacks, from `grants`."""
    if "*" in present:
        return set()
    found = facts(action)
    required = {row.type.split("/", 1)[0] for row in found.resource_rows if row.required}
    have = {_family(found.rows[0].service, arn) for arn in present}
    return {
        grant.resource
        for grant in grants
        if grant.action == action
        and grant.resource != "*"
        and _family(found.rows[0].service, grant.resource) in required - have
    }


def _family(service: str, arn: str) -> str:
    """The resource type family an ARN names (`subnet`, `listener`, `role` ...)."""
    tail = arn.split(":", 5)[-1]
    if service == "s3":
        return "object" if "/" in tail else "bucket"
    for separator in ("/", ":"):
        tail = tail.split(separator, 1)[0]
    return tail


def condition_document(condition: Condition) -> dict[str, dict[str, Any]]:
    document: dict[str, dict[str, Any]] = defaultdict(dict)
    for operator, key, values in condition:
        document[operator][key] = values[0] if len(values) == 1 else list(values)
    return dict(document)
