"""The start every project's program shares, and the provider lookups the programs make.

`start(project, read_config)` reads the settings of the environment the stack is for, validates
the project's own knobs (before anything is created, so a bad value fails first), and makes the
one explicit AWS provider, aimed at an emulator when the orchestrator asked for one. The frozen
`StackContext` it returns is what a program hands its components: names, resource options
pinned to the provider, upstream outputs, and the account, zones and image the programs look
up. A component that needs the provider's account, partition or region for a policy looks it
up itself, with `pulumi.InvokeOutputOptions(parent=self)` (the provider its parent pins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

import pulumi
import pulumi_aws as aws

from program.provider import aws_provider, emulator_endpoint, provider_opts
from shared import naming
from shared.aws_facts import AL2023_AMI_PARAMETER, AMAZON_IMAGE_OWNER
from shared.export_values import export_problem
from shared.references import UpstreamStacks
from shared.settings import EnvironmentSettings, load_settings
from shared.topology import TOPOLOGY, ContractError

ConfigT = TypeVar("ConfigT")
# Standard zones only: Local and Wavelength Zones need an opt-in and lack most services.
_STANDARD_ZONES = aws.GetAvailabilityZonesFilterArgs(
    name="opt-in-status", values=["opt-in-not-required"]
)


@dataclass(frozen=True)
class StackContext(Generic[ConfigT]):
    """One running program: its project, environment settings, project knobs and provider."""

    project: str
    settings: EnvironmentSettings
    config: ConfigT
    provider: aws.Provider

    def name(self, component: str) -> str:
        """The logical name `<app>-<env>-<component>` (`shared.naming`)."""
        return naming.logical_name(self.settings, component)

    @property
    def opts(self) -> pulumi.ResourceOptions:
        """Options that pin a resource (and its children) to the project's provider."""
        return provider_opts(self.provider)

    def require(self, producer: str, output: str) -> pulumi.Output[Any]:
        """An output of the same environment's `producer` stack, as the topology declares.

        Its value is held to the contract (`shared.export_values`: not empty, an ARN of the
        environment's partition, region and the account deployed into) before anything is
        built on it: a producer's state can hold a bad value however it got there.
        """
        spec = TOPOLOGY.project(producer)
        region = self.settings.region

        def checked(found: Any, account: str) -> Any:
            problem = export_problem(
                output,
                found,
                may_be_empty=output in spec.may_be_empty,
                region=region,
                account=account,
            )
            if problem:
                raise ContractError(
                    f"{producer}'s {output}={found!r} {problem}: {self.project} does not build "
                    f"on it. Fix {producer}'s export and deploy {producer} again"
                )
            return found

        value = self._upstream.require(producer, output)
        return pulumi.Output.all(value, self.account_id).apply(lambda args: checked(*args))

    @cached_property
    def account_id(self) -> pulumi.Output[str]:
        """The AWS account the provider deploys into."""
        return aws.get_caller_identity_output(opts=self._lookup).account_id

    @cached_property
    def elb_log_writer_arn(self) -> pulumi.Output[str]:
        """The account Elastic Load Balancing writes the region's access logs as."""
        return aws.elb.get_service_account_output(opts=self._lookup).arn

    def al2023_ami_id(self, pinned_name: str | None) -> pulumi.Output[str]:
        """The region's id of the Amazon Linux 2023 image the web servers boot.

        `pinned_name` (an AMI name, the same in every region) holds the servers on one release:
        only changing it rolls them. None follows AWS's public parameter for the latest release,
        so a new release rolls the servers on the next deploy. A pinned image AWS has since
        deprecated is still found (deprecation hides images from listings, not from launches).
        """
        if pinned_name is None:
            return aws.ssm.get_parameter_output(name=AL2023_AMI_PARAMETER, opts=self._lookup).value
        return aws.ec2.get_ami_output(
            owners=[AMAZON_IMAGE_OWNER],
            filters=[aws.ec2.GetAmiFilterArgs(name="name", values=[pinned_name])],
            include_deprecated=True,
            most_recent=True,
            opts=self._lookup,
        ).id

    def standard_zones(self, count: int) -> list[str]:
        """The region's first `count` standard availability zones.

        Sorted, so the first two stay the first two when AWS adds a zone.
        """
        zones = aws.get_availability_zones(
            filters=[_STANDARD_ZONES], opts=pulumi.InvokeOptions(provider=self.provider)
        ).names
        return sorted(zones)[:count]

    @cached_property
    def _upstream(self) -> UpstreamStacks:
        return UpstreamStacks(self.project, self.settings.environment)

    @property
    def _lookup(self) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(provider=self.provider)


def start(
    project: str, read_config: Callable[[EnvironmentSettings], ConfigT]
) -> StackContext[ConfigT]:
    """Settings for the stack being run, the project's validated knobs, and its provider."""
    settings = load_settings(pulumi.get_stack())
    config = read_config(settings)
    provider = aws_provider(settings, project, endpoint=emulator_endpoint())
    return StackContext(project, settings, config, provider)
