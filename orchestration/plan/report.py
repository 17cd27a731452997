"""How a plan is shown: a per-stack summary for people, a JSON document for machines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.placeholders import PLACEHOLDER_ACCOUNT_ID, PLACEHOLDER_ID_PREFIX
from program.policy import Enforcement, Resource, is_unknown
from shared import aws_types as t

# What the JSON plan shows for a value nobody can know before a deploy.
UNKNOWN_PLACEHOLDER = "<unknown until deployed>"
_MAX_VALUE = 90
_MAX_FALLBACK_PROPERTIES = 4

# The properties worth a glance per type (paths into the camelCase inputs).
KEY_PROPERTIES: Mapping[str, tuple[tuple[str | int, ...], ...]] = {
    t.AWS_PROVIDER: (("region",),),
    t.BUCKET: (("bucket",), ("forceDestroy",)),
    t.BUCKET_ENCRYPTION: (
        ("rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"),
        ("rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"),
        ("rules", 0, "bucketKeyEnabled"),
    ),
    t.BUCKET_PUBLIC_ACCESS_BLOCK: (
        ("blockPublicAcls",),
        ("blockPublicPolicy",),
        ("ignorePublicAcls",),
        ("restrictPublicBuckets",),
    ),
    t.BUCKET_OWNERSHIP: (("rule", "objectOwnership"),),
    t.BUCKET_VERSIONING: (("versioningConfiguration", "status"),),
    t.BUCKET_LOGGING: (("targetBucket",), ("targetPrefix",)),
    t.BUCKET_LIFECYCLE: (("rules", 0, "id"),),
    t.BUCKET_POLICY: (("bucket",),),
    t.KMS_KEY: (("enableKeyRotation",), ("deletionWindowInDays",), ("keyUsage",)),
    t.KMS_ALIAS: (("name",), ("targetKeyId",)),
    t.INSTANCE: (
        ("instanceType",),
        ("ami",),
        ("subnetId",),
        ("metadataOptions", "httpTokens"),
        ("rootBlockDevice", "kmsKeyId"),
    ),
    t.LAUNCH_TEMPLATE: (
        ("instanceType",),
        ("imageId",),
        ("metadataOptions", "httpTokens"),
        ("blockDeviceMappings", 0, "ebs", "kmsKeyId"),
    ),
    t.AUTOSCALING_GROUP: (
        ("desiredCapacity",),
        ("healthCheckType",),
        ("launchTemplate", "version"),
        ("instanceRefresh", "strategy"),
    ),
    t.LISTENER: (("port",), ("protocol",), ("certificateArn",)),
    t.SECURITY_GROUP: (("namePrefix",), ("vpcId",)),
    t.SECURITY_GROUP_INGRESS_RULE: (
        ("ipProtocol",),
        ("fromPort",),
        ("toPort",),
        ("cidrIpv4",),
        ("referencedSecurityGroupId",),
    ),
    t.IAM_ROLE: (("name",),),
    t.IAM_ROLE_POLICY: (("role",),),
}


@dataclass(frozen=True)
class ResourceCount:
    """How many resources a plan holds: the AWS ones (what a deploy creates in the account,
    what `invoke scan` checks) and Pulumi's own (providers, stack references, components)."""

    aws: int
    providers: int
    references: int
    components: int

    @property
    def pulumi(self) -> int:
        """Every resource Pulumi tracks in state."""
        return self.aws + self.providers + self.references + self.components

    def describe(self) -> str:
        """The one sentence every report uses: "57 AWS resources, plus Pulumi's own ..."."""
        own = [
            counted(self.providers, "provider", "providers"),
            counted(self.references, "stack reference", "stack references"),
            counted(self.components, "component", "components"),
        ]
        extra = ", ".join(part for part in own if not part.startswith("0 "))
        aws = counted(self.aws, "AWS resource", "AWS resources")
        return f"{aws}, plus Pulumi's own {extra}" if extra else aws


def count_resources(stacks: Iterable[StackPlan]) -> ResourceCount:
    """The resources of `stacks`, AWS and Pulumi's own counted apart."""
    types = [resource.type for stack in stacks for resource in stack.resources]
    aws = sum(1 for kind in types if kind.startswith("aws:"))
    providers = sum(1 for kind in types if kind.startswith(t.PROVIDER_PREFIX))
    references = sum(1 for kind in types if kind == t.STACK_REFERENCE)
    return ResourceCount(aws, providers, references, len(types) - aws - providers - references)


def counted(count: int, one: str, many: str | None = None) -> str:
    """ "1 advisory finding", "2 advisory findings"."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def is_placeholder(value: Any) -> bool:
    """A made-up id or ARN of the offline plan (`vpc-0000...`, an ARN in the placeholder
    account): nothing a reviewer can check, so the reports leave it out."""
    if isinstance(value, list | tuple):
        return bool(value) and all(is_placeholder(item) for item in value)
    if not isinstance(value, str):
        return False
    if PLACEHOLDER_ACCOUNT_ID in value:
        return True
    prefix, _, rest = value.partition("-")
    return prefix.isalpha() and rest.startswith(PLACEHOLDER_ID_PREFIX)


def short_type(token: str) -> str:
    """A type token as the Pulumi CLI shows it: `aws:s3/bucketPolicy:BucketPolicy` is
    `aws:s3:BucketPolicy` (module path dropped when its last part names the type)."""
    package, _, rest = token.partition(":")
    module, _, name = rest.partition(":")
    if not name:
        return token
    head, _, last = module.rpartition("/")
    if head and last.lower() == name.lower():
        return f"{package}:{head}:{name}"
    return token


def jsonable(value: Any) -> Any:
    """`value` as JSON-ready data, with unknown values as the placeholder."""
    if is_unknown(value):
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def to_json(plan: EnvironmentPlan) -> dict[str, Any]:
    """The machine-readable plan (stacks in deployment order)."""
    return {
        "environment": plan.environment,
        "stacks": [
            {
                "project": stack.project,
                "stack": stack.stack,
                "resources": [
                    {"type": r.type, "name": r.name, "urn": r.urn, "inputs": jsonable(r.props)}
                    for r in stack.resources
                ],
                "outputs": jsonable(stack.outputs),
            }
            for stack in plan.stacks
        ],
        "violations": [violation.to_json() for violation in plan.violations],
    }


def short(value: Any) -> str:
    """`value` on one line, cut to a glance's length."""
    text = json.dumps(jsonable(value)) if not isinstance(value, str) else value
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def key_properties(resource: Resource) -> list[tuple[str, Any]]:
    """(path, value) of the properties that matter for this resource's type."""
    paths = KEY_PROPERTIES.get(resource.type)
    if paths is None:
        scalars = [
            ((key,), value)
            for key, value in resource.props.items()
            if key not in ("tags", "tagsAll") and not isinstance(value, Mapping | list)
        ]
        return [(key[0], value) for key, value in scalars[:_MAX_FALLBACK_PROPERTIES]]
    found = []
    for path in paths:
        value = resource.get(*path)
        if value is not None:
            found.append((".".join(str(step) for step in path), value))
    return found


def _stack_summary(stack: StackPlan) -> list[str]:
    lines = [f"{stack.stack}  ({count_resources([stack]).describe()})"]
    for resource in stack.resources:
        flags = "  [protected]" if resource.protect else ""
        lines.append(f"  {resource.type}  {resource.name}{flags}")
        lines.extend(
            f"      {path.rsplit('.', 1)[-1]}: {short(value)}"
            for path, value in key_properties(resource)
        )
    if stack.outputs:
        lines.append("  outputs:")
        lines.extend(f"      {key}: {short(value)}" for key, value in stack.outputs.items())
    return lines


def summary(plan: EnvironmentPlan) -> str:
    """The plan for people: each stack's resources with their key properties, then violations."""
    lines = [
        f"Offline plan of {plan.environment!r} (mock runtime: no cloud, no state): "
        f"{count_resources(plan.stacks).describe()}",
        "",
    ]
    for stack in plan.stacks:
        lines.extend(_stack_summary(stack))
        lines.append("")
    if plan.violations:
        blocking = len(plan.blocking)
        advisory = len(plan.violations) - blocking
        parts = [counted(blocking, "mandatory violation"), counted(advisory, "advisory finding")]
        found = " and ".join(part for part in parts if not part.startswith("0 "))
        lines.append(f"Security rules: {found}:")
        for violation in plan.violations:
            marker = "MANDATORY" if violation.enforcement is Enforcement.MANDATORY else "advisory"
            lines.append(f"  {marker:<9}  {violation.message}")
    else:
        lines.append("Security rules: no findings.")
    return "\n".join(lines)
