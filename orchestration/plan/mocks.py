"""What Pulumi's mock runtime answers during an evaluation: placeholders, upstream outputs.

Every resource registration and provider call of the program comes here. AWS resources and
invokes get the deterministic placeholders of `placeholders.py`, each in the region of the
provider it names (as with the real engine). Stack references get the upstream outputs the
caller supplied, so a program can be evaluated before its producers exist. Like the engine, a
resource or invoke that would fall back to a default provider the project disables
(`pulumi:disable-default-providers`) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from orchestration.plan.placeholders import (
    PLACEHOLDER_ACCOUNT_ID,
    placeholder_result,
    placeholder_state,
    placeholder_uuid,
)
from shared import aws_types as t


class PlanMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and provider calls with deterministic placeholders."""

    def __init__(
        self,
        *,
        environment: str,
        upstream: Mapping[str, Mapping[str, Any]],
        disabled_default_providers: frozenset[str] = frozenset(),
        account_id: str = PLACEHOLDER_ACCOUNT_ID,
    ) -> None:
        self.environment = environment
        self.upstream = {project: dict(outputs) for project, outputs in upstream.items()}
        self.disabled_default_providers = disabled_default_providers
        self.account_id = account_id
        # Provider URN -> the region it was configured with (recorded by the monitor); ARNs
        # and invoke answers are per provider, as they are for the real engine.
        self.provider_regions: dict[str, str] = {}
        # Every provider function the program called, with its arguments, in call order: the
        # calls a deploy makes too (`orchestration.roles` grants their actions).
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(
        self, args: pulumi_mocks.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        """Placeholder id and state (inputs plus computed outputs) for one resource."""
        inputs = dict(args.inputs)
        if args.typ == t.STACK_REFERENCE:
            return self._stack_reference(args.name, inputs)
        if args.typ.startswith(t.PROVIDER_PREFIX):
            return placeholder_uuid(f"{args.typ}::{args.name}"), inputs
        if not args.custom:
            return "", inputs
        self._refuse_default_provider(
            args.typ, args.provider, f"{args.typ!r} ({args.name}) must use an explicit provider"
        )
        return placeholder_state(
            args.typ,
            args.name,
            inputs,
            account=self.account_id,
            region=self._region_of(args.provider),
        )

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        """Answers for the provider functions (invokes) the programs use."""
        self._refuse_default_provider(
            args.token,
            args.provider,
            f"The call {args.token!r} must use an explicit provider (InvokeOptions(provider=...))",
        )
        self.calls.append((args.token, dict(args.args)))
        result = placeholder_result(
            args.token,
            dict(args.args),
            account=self.account_id,
            region=self._region_of(args.provider),
        )
        return result, []

    def _refuse_default_provider(self, token: str, provider: str | None, what: str) -> None:
        package = token.split(":", 1)[0]
        if package in self.disabled_default_providers and not provider:
            raise RuntimeError(f"Default provider for {package!r} disabled. {what}")

    def _stack_reference(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        stack_name = str(inputs.get("name", name))
        try:
            _organization, project, environment = stack_name.split("/")
        except ValueError:
            raise ValueError(
                f"stack reference {stack_name!r} is not fully qualified (<org>/<project>/<stack>)"
            ) from None
        if environment != self.environment:
            raise ValueError(
                f"stack reference {stack_name!r} crosses environments: this evaluation is "
                f"{self.environment!r}"
            )
        if project not in self.upstream:
            supplied = ", ".join(sorted(self.upstream)) or "none"
            raise ValueError(
                f"the program reads stack {stack_name!r}, but no outputs were supplied for "
                f"project {project!r} (supplied: {supplied})"
            )
        outputs = dict(self.upstream[project])
        return stack_name, {"name": stack_name, "outputs": outputs, "secretOutputNames": []}

    def _region_of(self, provider_ref: str | None) -> str:
        return self.provider_regions.get(urn_of_reference(provider_ref or ""), "")


def urn_of_reference(reference: str) -> str:
    """A provider reference is `<urn>::<id>`; the URN itself contains `::`."""
    return reference.rsplit("::", 1)[0] if reference else ""
