"""Test doubles of the engine's side of CrossGuard: pulumi_policy arguments built from a stack."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from program.policy import Resource
from program.policy.crossguard import policies
from shared.settings import load_settings

Stack = list[Resource] | tuple[Resource, ...]


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def _provider(stack: Stack, resource: Resource) -> PolicyProviderResource | None:
    found = next((r for r in stack if r.urn == resource.provider), None)
    if found is None:
        return None
    return PolicyProviderResource(
        found.type, unknown_checking_proxy(dict(found.props)), found.urn, found.name
    )


def stack_args(stack: Stack) -> StackValidationArgs:
    """What the engine hands a stack policy: the stack's resources with their providers, and
    per property the resources its value came from (how a flow log names its VPC)."""
    by_urn: dict[str, PolicyResource] = {}
    for resource in stack:
        by_urn[resource.urn] = PolicyResource(
            resource.type,
            unknown_checking_proxy(dict(resource.props)),
            resource.urn,
            resource.name,
            _options(resource),
            _provider(stack, resource),
            None,
            [],
            {},
        )
    # Second pass: every resource exists now, so dependencies can point at them.
    for resource in stack:
        by_urn[resource.urn].property_dependencies.update(
            {
                prop: [by_urn[urn] for urn in urns if urn in by_urn]
                for prop, urns in resource.dependencies.items()
            }
        )
    return StackValidationArgs(list(by_urn.values()))


def resource_args(stack: Stack, resource: Resource) -> ResourceValidationArgs:
    """What the engine hands a resource policy: inputs, options and the provider."""
    return ResourceValidationArgs(
        resource.type,
        unknown_checking_proxy(dict(resource.props)),
        resource.urn,
        resource.name,
        _options(resource),
        _provider(stack, resource),
    )


def run_pack(stack: Stack, load: Any = load_settings) -> list[tuple[str, str, str | None]]:
    """(policy, message, urn) for every violation the pack reports on `stack`."""
    reported: list[tuple[str, str, str | None]] = []
    for policy in policies(load=load):

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            reported.append((name, message, urn))

        if isinstance(policy, StackValidationPolicy):
            policy.validate(stack_args(stack), report)
        else:
            assert isinstance(policy, ResourceValidationPolicy)
            for resource in stack:
                before = len(reported)
                policy.validate(resource_args(stack, resource), report)
                reported[before:] = [(n, m, resource.urn) for n, m, _ in reported[before:]]
    return reported
