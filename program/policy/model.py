"""The rule input every enforcement point builds: resources of one stack, plus the settings.

The offline plan, the CrossGuard policy pack and tests all describe a stack the same way: a
list of `Resource`s (Pulumi type token, logical name, engine property names in camelCase,
options) and the environment's settings. Rules only ever see this shape, so one rule
function serves all three without knowing where its input came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from shared.aws_types import STACK_REFERENCE
from shared.settings import EnvironmentSettings


class Enforcement(StrEnum):
    """What a violation does: mandatory ones block a plan or deploy, advisory ones only warn."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"


class Scope(StrEnum):
    """What a rule needs to see.

    RESOURCE rules judge a resource from its own inputs, options and provider, so the policy
    pack can run them before the resource is created. STACK rules relate resources to each
    other (a bucket and its encryption configuration), so they need the whole stack.
    """

    RESOURCE = "resource"
    STACK = "stack"


class _Unknown:
    """A value the engine cannot know yet (an id or ARN of a resource not created)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


# Rules never flag an unknown value: what is unknown in a preview is known (and checked again)
# when the resource is created, and the offline plan's placeholders are always known.
UNKNOWN: Final = _Unknown()


def is_unknown(value: object) -> bool:
    """True for the unknown marker."""
    return value is UNKNOWN


@dataclass(frozen=True)
class Resource:
    """One registered resource as every rule sees it."""

    type: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    urn: str = ""
    protect: bool = False
    # URN of the provider resource that manages this one (explicit or default provider).
    provider: str | None = None
    parent: str | None = None
    # Property name -> URNs of the resources that property's value came from.
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The physical id, when known (the offline plan's mock id; absent in a real preview).
    id: str | None = None

    def __post_init__(self) -> None:
        if not self.urn:
            object.__setattr__(
                self, "urn", f"urn:pulumi:unknown::unknown::{self.type}::{self.name}"
            )
        object.__setattr__(self, "props", MappingProxyType(dict(self.props)))

    def get(self, *path: str | int) -> Any:
        """The value at `path` inside the properties; None when absent, UNKNOWN when unknown."""
        value: Any = self.props
        for step in path:
            if is_unknown(value):
                return UNKNOWN
            if isinstance(step, int):
                if not isinstance(value, Sequence) or isinstance(value, str):
                    return None
                if not -len(value) <= step < len(value):
                    return None
                value = value[step]
            else:
                if not isinstance(value, Mapping):
                    return None
                value = value.get(step)
        return value

    @property
    def label(self) -> str:
        """How messages name the resource: logical name and type."""
        return f"{self.name} ({self.type})"


@dataclass(frozen=True)
class Violation:
    """A rule broken by a resource."""

    rule: str
    resource: str
    message: str
    enforcement: Enforcement

    def to_json(self) -> dict[str, str]:
        """The shape the JSON plan uses."""
        return {
            "rule": self.rule,
            "resource": self.resource,
            "message": self.message,
            "enforcement": str(self.enforcement),
        }


class StackView:
    """The resources of one stack, indexed for the questions rules ask, plus the settings."""

    def __init__(
        self,
        settings: EnvironmentSettings,
        resources: Iterable[Resource],
        upstream: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.resources: tuple[Resource, ...] = tuple(resources)
        self._by_urn = {resource.urn: resource for resource in self.resources}
        # Outputs of the upstream stacks this one reads; the offline plan passes the planned
        # ones, a real engine run finds them in the StackReference resources' outputs.
        self.upstream: Mapping[str, Any] = (
            self._stack_reference_outputs() if upstream is None else upstream
        )

    def of_type(self, *types: str) -> Iterator[Resource]:
        """Resources of the given types, in registration order."""
        return (resource for resource in self.resources if resource.type in types)

    def by_urn(self, urn: str | None) -> Resource | None:
        """The resource with `urn`, if the view holds it."""
        return self._by_urn.get(urn) if urn else None

    def provider_of(self, resource: Resource) -> Resource | None:
        """The provider resource that manages `resource`, if the view holds it."""
        return self.by_urn(resource.provider)

    def refers_to(self, source: Resource, prop: str, target: Resource) -> bool:
        """True if `source.props[prop]` names `target`.

        Compared by value (target's id or physical bucket name) when the value is known, else
        by the engine's property dependencies (a preview knows what the value came from even
        when the value itself is not known yet).
        """
        if target.urn in source.dependencies.get(prop, ()):
            return True
        value = source.get(prop)
        if not isinstance(value, str):
            return False
        names = {target.id, target.get("bucket"), target.get("arn"), target.get("id")}
        return value in {name for name in names if isinstance(name, str)}

    def referring(self, target: Resource, type_: str, prop: str = "bucket") -> list[Resource]:
        """Resources of `type_` whose `prop` names `target` (side resources of a bucket)."""
        return [
            resource for resource in self.of_type(type_) if self.refers_to(resource, prop, target)
        ]

    def _stack_reference_outputs(self) -> dict[str, Any]:
        """Every output the stack's StackReferences expose, merged (export keys are unique)."""
        merged: dict[str, Any] = {}
        for reference in self.of_type(STACK_REFERENCE):
            outputs = reference.get("outputs")
            if isinstance(outputs, Mapping):
                merged.update(outputs)
        return merged


def json_value(value: Any) -> Any:
    """Decode a JSON-encoded property (IAM documents, provider settings); pass others through.

    Provider inputs such as `defaultTags` reach the engine as JSON strings, and policy
    documents are JSON strings too; unparsable text is returned unchanged.
    """
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


Check = Callable[[Resource, StackView], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """One security rule, defined once and enforced by the plan, the policy pack and tests."""

    id: str
    description: str
    enforcement: Enforcement
    # Type tokens the rule looks at; empty means every resource.
    resource_types: tuple[str, ...]
    check: Check
    fix: str
    scope: Scope = Scope.RESOURCE
    # Ids of the same control in tools people already trust (Checkov, Trivy, AWSGuard).
    references: tuple[str, ...] = ()

    def applies_to(self, resource: Resource) -> bool:
        """True if the rule looks at resources of this type."""
        return not self.resource_types or resource.type in self.resource_types

    def message(self, resource: Resource, problem: str) -> str:
        """A violation message that names the rule, the resource and the fix."""
        return f"[{self.id}] {resource.label}: {problem}. Fix: {self.fix}"

    def violations(self, resource: Resource, view: StackView) -> list[Violation]:
        """What is wrong with `resource` under this rule (empty when compliant)."""
        if not self.applies_to(resource):
            return []
        return [
            Violation(self.id, resource.urn, self.message(resource, problem), self.enforcement)
            for problem in self.check(resource, view)
        ]
