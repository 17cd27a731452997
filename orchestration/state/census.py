"""What the cloud holds for an environment's stacks, whatever their state says: the census.

Every resource a program creates carries its provider's default tags (`shared.naming.tags`):
`Project` (the app), `Environment` and `Component` (the project). One paginated Resource Groups
Tagging API GetResources call, filtered on `Project` and `Environment`, finds them for every
stack of the environment at once; the `Component` tag says whose each one is. The tagging API
does not list IAM roles, so the roles a project's program creates
(`shared.naming.stack_role_names`) are looked up by name with IAM GetRole.

AWS keeps listing a KMS key pending deletion and a terminated instance for a while after they
are gone; the census leaves both out, so the destroy it follows (or a deploy after a destroy)
does not mistake them for live resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from orchestration.engine.interface import OrchestrationError
from shared.naming import stack_role_names
from shared.settings import EnvironmentSettings

# The tag the census groups by, and the provider's default tags it filters on.
COMPONENT_TAG = "Component"
# AWS tags the instances an Auto Scaling group launches with this: the group is what a stack holds.
AUTOSCALING_GROUP_TAG = "aws:autoscaling:groupName"
# Key states after which a key is gone but still listed (until AWS deletes it).
_GONE_KEY_STATES = frozenset({"PendingDeletion", "PendingReplicaDeletion"})
_GONE_INSTANCE_STATES = frozenset({"shutting-down", "terminated"})


class CensusFailed(OrchestrationError):
    """The census could not ask the cloud; the message says which call failed and why."""


@dataclass(frozen=True)
class CloudResource:
    """One resource the cloud holds for a stack, by its ARN and tags."""

    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    @property
    def kind(self) -> str:
        """`service:type` as the ARN says it (`ec2:vpc`, `kms:key`, `s3:bucket`, `iam:role`)."""
        parts = self.arn.split(":", 5)
        if len(parts) < 6:
            return "unknown"
        service, resource = parts[2], parts[5]
        if service == "s3":
            return "s3:bucket"
        for separator in ("/", ":"):
            if separator in resource:
                return f"{service}:{resource.split(separator, 1)[0]}"
        return f"{service}:{resource}"

    @property
    def resource_id(self) -> str:
        """The ARN's last segment: what a state records as the id of most resources."""
        tail = self.arn.split(":", 5)[-1].removesuffix(":*")
        for separator in ("/", ":"):
            tail = tail.rsplit(separator, 1)[-1]
        return tail


@dataclass(frozen=True)
class Census:
    """project -> the live resources tagged for its stack (or named as its roles)."""

    found: Mapping[str, tuple[CloudResource, ...]] = field(default_factory=dict)

    def of(self, project: str) -> tuple[CloudResource, ...]:
        """What the cloud holds for `project`'s stack (empty when nothing)."""
        return tuple(self.found.get(project, ()))


def take_census(
    settings: EnvironmentSettings, projects: Sequence[str], *, endpoint: str | None
) -> Census:
    """One GetResources pagination for the environment, plus GetRole per derived role name.

    CensusFailed (one line, naming the call) when AWS (or the `endpoint`) refuses or is
    unreachable.
    """
    # Imported here: boto3 is heavy, and only runs that reach AWS take a census.
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from orchestration.state.aws import aws_client, error_code  # noqa: PLC0415

    region = settings.region
    found: dict[str, list[CloudResource]] = {project: [] for project in projects}
    call = "tag:GetResources"
    try:
        tagging = aws_client("resourcegroupstaggingapi", region, endpoint)
        filters = [
            {"Key": "Project", "Values": [settings.app]},
            {"Key": "Environment", "Values": [settings.environment]},
        ]
        for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
            for mapping in page.get("ResourceTagMappingList", []):
                tags = {tag["Key"]: tag["Value"] for tag in mapping.get("Tags", [])}
                project = tags.get(COMPONENT_TAG, "")
                if project in found:
                    found[project].append(CloudResource(mapping["ResourceARN"], tags))
        call = "iam:GetRole"
        iam = aws_client("iam", region, endpoint)
        for project in projects:
            for name in stack_role_names(settings, project):
                try:
                    role = iam.get_role(RoleName=name)["Role"]
                except ClientError as error:
                    if error_code(error) == "NoSuchEntity":
                        continue
                    raise
                found[project].append(CloudResource(role["Arn"]))
        call = "kms:DescribeKey / ec2:DescribeInstances"
        live = {
            project: tuple(_live(resources, region, endpoint, aws_client))
            for project, resources in found.items()
        }
    except (BotoCoreError, ClientError) as error:
        raise CensusFailed(f"the cloud census could not ask AWS ({call}: {error})") from error
    return Census(MappingProxyType(live))


def _live(
    resources: Iterable[CloudResource], region: str, endpoint: str | None, client: Any
) -> Iterable[CloudResource]:
    """`resources` without the keys and instances AWS lists after they are gone."""
    for resource in resources:
        if resource.kind == "kms:key":
            metadata = client("kms", region, endpoint).describe_key(KeyId=resource.arn)
            if metadata["KeyMetadata"]["KeyState"] in _GONE_KEY_STATES:
                continue
        elif resource.kind == "ec2:instance":
            answer = client("ec2", region, endpoint).describe_instances(
                InstanceIds=[resource.resource_id]
            )
            states = {
                instance["State"]["Name"]
                for reservation in answer["Reservations"]
                for instance in reservation["Instances"]
            }
            if states and states <= _GONE_INSTANCE_STATES:
                continue
        yield resource
