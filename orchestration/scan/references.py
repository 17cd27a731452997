"""Which values of a resource are another resource's id or ARN: Terraform's references.

Checkov's graph checks connect resources through references (`bucket =
aws_s3_bucket.data.id`): that is how it knows a bucket has its public access block, a security
group is attached, an instance has its profile. Pulumi records, per input property, the
resources its value came from (`Resource.dependencies`); within that property the value that
*is* the dependency's id or ARN (a leaf of the property's value) becomes a reference, the way
Terraform plans a value that is known only once the referenced resource exists. A dependency
whose value went into a larger string (a policy document holding a bucket ARN) keeps the value
and is recorded as a reference of the whole property.

Input without dependency records (a rule test's hand-built stack) is matched by value alone:
a leaf equal to another resource's id or ARN refers to it, as `StackView.refers_to` judges
(names are left out there: a role, its instance profile and a security group may share one).
Maps (tags) never hold references.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestration.scan.terraform_types import MAP_ATTRIBUTES
from program.policy import Resource

# The attributes a reference can name, in order of preference when values coincide (a load
# balancer's id is its ARN; Terraform configurations say `.arn`).
IDENTITY_ATTRIBUTES = ("arn", "id", "name", "bucket")
# Without dependency records, only values no two resources share.
UNIQUE_ATTRIBUTES = frozenset({"arn", "id"})


@dataclass(frozen=True)
class Target:
    """A resource other resources can refer to: its address and its identifying values."""

    address: str
    # value -> the attribute holding it (`arn:aws:s3:::b` -> "arn").
    identities: Mapping[str, str]
    urn: str


@dataclass(frozen=True)
class Reference:
    """A value known only from other resources: the Terraform references it is made of."""

    targets: tuple[tuple[str, str], ...]  # (address, attribute)

    def expression(self) -> list[str]:
        """Terraform's `references` list: each `<address>.<attribute>`, then the address."""
        return [
            item
            for address, attribute in self.targets
            for item in (f"{address}.{attribute}", address)
        ]


def target(resource: Resource, address: str, outputs: Mapping[str, Any]) -> Target:
    """`resource` as a reference target: its id, and its ARN, name or bucket when known."""
    known = {**resource.props, **outputs}
    identities: dict[str, str] = {}
    for attribute in IDENTITY_ATTRIBUTES:
        value = resource.id if attribute == "id" else known.get(attribute)
        if isinstance(value, str) and value:
            identities.setdefault(value, attribute)
    return Target(address, identities, resource.urn)


@dataclass(frozen=True)
class ResolvedProperty:
    """A property's value with its references marked, and the references left over."""

    value: Any
    # Dependencies none of the value's leaves is equal to (the value embeds them).
    embedded: Reference | None


def resolve(resource: Resource, targets: Sequence[Target]) -> dict[str, ResolvedProperty]:
    """Every property of `resource` with the leaves that are other resources' ids as
    `Reference`s; the property's recorded dependencies decide which resources qualify."""
    others = [candidate for candidate in targets if candidate.urn != resource.urn]
    by_urn = {candidate.urn: candidate for candidate in others}
    recorded = bool(resource.dependencies)
    resolved = {}
    for prop, value in resource.props.items():
        if prop in MAP_ATTRIBUTES:  # at any depth: `_mark` leaves nested maps alone too
            resolved[prop] = ResolvedProperty(value, None)
            continue
        if recorded:
            candidates = [
                by_urn[urn] for urn in resource.dependencies.get(prop, ()) if urn in by_urn
            ]
        else:
            candidates = [_unique_identities(candidate) for candidate in others]
        used: set[str] = set()
        marked = _mark(value, candidates, used) if candidates else value
        leftover = [c for c in candidates if c.address not in used] if recorded else []
        embedded = Reference(tuple((c.address, "id") for c in leftover)) if leftover else None
        resolved[prop] = ResolvedProperty(marked, embedded)
    return resolved


def _unique_identities(candidate: Target) -> Target:
    identities = {v: a for v, a in candidate.identities.items() if a in UNIQUE_ATTRIBUTES}
    return Target(candidate.address, identities, candidate.urn)


def _mark(value: Any, candidates: Sequence[Target], used: set[str]) -> Any:
    if isinstance(value, str):
        matches = tuple(
            (candidate.address, candidate.identities[value])
            for candidate in candidates
            if value in candidate.identities
        )
        used.update(address for address, _ in matches)
        return Reference(matches) if matches else value
    if isinstance(value, Mapping):
        return {
            key: item if key in MAP_ATTRIBUTES else _mark(item, candidates, used)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mark(item, candidates, used) for item in value]
    return value
