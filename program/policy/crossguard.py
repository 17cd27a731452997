"""The CrossGuard adapter: pulumi_policy's arguments in, the shared rules' input out.

`policy-pack/__main__.py` is one line around `policies()`. Resource-scope rules become
ResourceValidationPolicies (they run on a resource's inputs before it is created, so a
mandatory violation stops the resource from ever existing); stack-scope rules become
StackValidationPolicies (they relate resources to each other, e.g. a bucket and its
encryption configuration). Either way the rule function is the one the offline plan runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy.secret import Secret

from program.policy.model import UNKNOWN, Enforcement, Resource, Rule, Scope, StackView
from program.policy.registry import RULES
from shared.settings import EnvironmentSettings, SettingsError, load_settings

PACK_NAME = "webapp-security-baseline"
_UNKNOWN_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
    }
)
_LEVELS = {
    Enforcement.MANDATORY: EnforcementLevel.MANDATORY,
    Enforcement.ADVISORY: EnforcementLevel.ADVISORY,
}

SettingsLoader = Callable[[str], EnvironmentSettings]


def plain(value: Any) -> Any:
    """A property value as plain dicts/lists, with the engine's unknowns as UNKNOWN.

    pulumi_policy wraps properties in proxies that raise on unknown values; a rule must be able
    to look at a resource whose ARN is not known yet, so unwrap them (the `__target` key is the
    proxies' own way out, used by pulumi_policy's serializer too) and mark the unknowns.
    """
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        # A proxy answers "__target" with what it wraps; a plain mapping has no such key.
        target = value.get("__target", value)
        return {key: plain(target[key]) for key in target}
    if isinstance(value, Sequence):
        items = value if isinstance(value, list | tuple) else value["__target"]  # type: ignore[call-overload]
        return [plain(item) for item in items]
    return value


def stack_of(urn: str) -> str:
    """The stack name inside a URN (`urn:pulumi:<stack>::<project>::...`)."""
    prefix = "urn:pulumi:"
    if not urn.startswith(prefix) or "::" not in urn:
        raise ValueError(f"{urn!r} is not a Pulumi URN")
    return urn[len(prefix) :].split("::", 1)[0]


def provider_resource(provider: PolicyProviderResource) -> Resource:
    """The provider of a resource, in the rules' shape."""
    return Resource(
        type=provider.resource_type,
        name=provider.name,
        props=plain(provider.props),
        urn=provider.urn,
    )


def from_policy_resource(resource: PolicyResource) -> Resource:
    """One resource of a stack validation, in the rules' shape."""
    parent = resource.parent.urn if resource.parent is not None else resource.opts.parent
    return Resource(
        type=resource.resource_type,
        name=resource.name,
        props=plain(resource.props),
        urn=resource.urn,
        protect=bool(resource.opts.protect),
        provider=resource.provider.urn if resource.provider is not None else None,
        parent=parent or None,
        dependencies={
            prop: tuple(dependency.urn for dependency in dependencies)
            for prop, dependencies in resource.property_dependencies.items()
        },
    )


def from_validation_args(args: ResourceValidationArgs) -> tuple[Resource, list[Resource]]:
    """The resource being validated, and the resources a resource rule may look at."""
    resource = Resource(
        type=args.resource_type,
        name=args.name,
        props=plain(args.props),
        urn=args.urn,
        protect=bool(args.opts.protect),
        provider=args.provider.urn if args.provider is not None else None,
        parent=args.opts.parent or None,
    )
    neighbours = [provider_resource(args.provider)] if args.provider is not None else []
    return resource, [*neighbours, resource]


def stack_view(args: StackValidationArgs, settings: EnvironmentSettings) -> StackView:
    """The whole stack, with every resource's provider included even if not listed itself."""
    resources = [from_policy_resource(resource) for resource in args.resources]
    known = {resource.urn for resource in resources}
    for policy_resource in args.resources:
        provider = policy_resource.provider
        if provider is not None and provider.urn not in known:
            resources.append(provider_resource(provider))
            known.add(provider.urn)
    return StackView(settings, resources)


class _Settings:
    """Settings per environment (stack name), loaded once; load errors become violations."""

    def __init__(self, load: SettingsLoader) -> None:
        self._load = load
        self._cache: dict[str, EnvironmentSettings | str] = {}

    def for_urn(self, urn: str) -> EnvironmentSettings | str:
        try:
            environment = stack_of(urn)
        except ValueError as error:
            return str(error)
        if environment not in self._cache:
            try:
                self._cache[environment] = self._load(environment)
            except SettingsError as error:
                self._cache[environment] = (
                    f"cannot check stack {environment!r} against the security rules: {error}"
                )
        return self._cache[environment]


def _resource_validator(
    rule: Rule, settings: _Settings
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(Resource(type=args.resource_type, name=args.name)):
            return
        loaded = settings.for_urn(args.urn)
        if isinstance(loaded, str):
            report_violation(loaded, None)
            return
        resource, resources = from_validation_args(args)
        for violation in rule.violations(resource, StackView(loaded, resources)):
            report_violation(violation.message, None)

    return validate


def _stack_validator(
    rule: Rule, settings: _Settings
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if not args.resources:
            return
        loaded = settings.for_urn(args.resources[0].urn)
        if isinstance(loaded, str):
            report_violation(loaded, None)
            return
        view = stack_view(args, loaded)
        for resource in view.resources:
            for violation in rule.violations(resource, view):
                report_violation(violation.message, resource.urn)

    return validate


def policies(rules: Sequence[Rule] = RULES, load: SettingsLoader = load_settings) -> list[Policy]:
    """One CrossGuard policy per rule, named by the rule id, at the rule's enforcement level."""
    settings = _Settings(load)
    built: list[Policy] = []
    for rule in rules:
        common: dict[str, Any] = {
            "name": rule.id,
            "description": rule.description,
            "enforcement_level": _LEVELS[rule.enforcement],
            "remediation_steps": rule.fix,
            "tags": list(rule.references),
        }
        if rule.scope is Scope.RESOURCE:
            built.append(
                ResourceValidationPolicy(validate=_resource_validator(rule, settings), **common)
            )
        else:
            built.append(StackValidationPolicy(validate=_stack_validator(rule, settings), **common))
    return built
