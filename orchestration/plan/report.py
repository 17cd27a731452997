"""How a plan is shown: a per-stack summary for people, a JSON document for machines."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchestration.plan.environment import EnvironmentPlan, StackPlan
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


def write_json(plan: EnvironmentPlan, path: Path) -> None:
    """Write the JSON plan to `path` (parent directories must exist)."""
    path.write_text(json.dumps(to_json(plan), indent=2, sort_keys=False) + "\n", encoding="utf-8")


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
    lines = [f"{stack.stack}  ({len(stack.resources)} resources)"]
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
    lines = [f"Offline plan of {plan.environment!r} (mock runtime: no cloud, no state)", ""]
    for stack in plan.stacks:
        lines.extend(_stack_summary(stack))
        lines.append("")
    if plan.violations:
        lines.append(f"Security rule violations ({len(plan.violations)}):")
        for violation in plan.violations:
            marker = "MANDATORY" if violation.enforcement is Enforcement.MANDATORY else "advisory"
            lines.append(f"  {marker:<9}  {violation.message}")
    else:
        lines.append("Security rules: no violations.")
    return "\n".join(lines)
