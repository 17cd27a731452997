"""The offline plan as Terraform plan JSON (the document `terraform show -json` writes).

Each project becomes a child module (`module.storage`), each AWS resource a managed resource
of the Terraform type `terraform_types.py` names, being created: it appears in
`planned_values`, in `resource_changes` (action `create`) and in `configuration`, whose
expressions carry the references between resources (`references.py`). Values follow
Terraform's representation: attribute names in snake_case, nested blocks as lists of objects,
maps (tags) as objects, policies as the JSON strings the programs wrote, numbers as numbers. A
value that is another resource's id or ARN is, as in a Terraform plan, unknown until that
resource exists: absent from the planned values, `true` in `after_unknown`, a reference in the
configuration.

Providers, components and stack references are not AWS resources and are left out; a value
read from another stack (the security key's ARN) is known and kept. The `pulumi` key (which
Terraform does not write, and readers of the format ignore) maps every address back to the
project, Pulumi name, type token and URN.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.scan.references import Reference, ResolvedProperty, resolve, target
from orchestration.scan.terraform_types import MAP_ATTRIBUTES, attribute_name, terraform_type
from program.policy import Resource, is_unknown
from shared import aws_types as t

FORMAT_VERSION: Final = "1.2"
# Checkov recognises a plan by this key; the value names the Terraform release whose JSON plan
# format (1.2) the translation follows.
TERRAFORM_VERSION: Final = "1.9.0"
PROVIDER_NAME: Final = "registry.terraform.io/hashicorp/aws"

_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]")


def terraform_name(pulumi_name: str) -> str:
    """A Terraform resource name for a Pulumi name: letters, digits, `_`, `-`; no digit first."""
    name = _NAME_CHARACTERS.sub("_", pulumi_name)
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


class _Unknown:
    """A value the translation cannot know (unknown in the plan), with no references."""


def terraform_plan(plan: EnvironmentPlan) -> dict[str, Any]:
    """The Terraform plan JSON of the whole environment plan, one child module per project."""
    modules: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    calls: dict[str, Any] = {}
    index: dict[str, dict[str, str]] = {}
    taken: set[str] = set()
    for stack in plan.stacks:
        module = terraform_name(stack.project)
        translated = list(_translate_stack(stack, module, taken))
        modules.append(
            {"address": f"module.{module}", "resources": [r.planned for r in translated]}
        )
        changes.extend(r.change for r in translated)
        calls[module] = {
            "source": f"./projects/{stack.project}",
            "module": {"resources": [r.configuration for r in translated]},
        }
        index.update({r.planned["address"]: r.origin for r in translated})
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"child_modules": modules}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": _provider_config(plan),
            "root_module": {"module_calls": calls},
        },
        "pulumi": {"environment": plan.environment, "resources": index},
    }


@dataclass(frozen=True)
class _Translated:
    """One resource's entries in the plan's three sections, and where it came from."""

    planned: dict[str, Any]
    change: dict[str, Any]
    configuration: dict[str, Any]
    origin: dict[str, str]


def aws_resources(stack: StackPlan) -> list[Resource]:
    """The stack's AWS resources (not providers, components or stack references)."""
    return [resource for resource in stack.resources if t.is_aws_resource(resource.type)]


def addresses(resources: list[Resource], taken: set[str]) -> dict[str, str]:
    """URN -> module-relative address; a name `taken` (by any module) gets `-2`, `-3`, ...

    Unique across modules, not only within one: Checkov caches some verdicts (its IAM policy
    analysis) by file, type and name, so two modules' `aws_iam_policy.app` would share one.
    """
    found = {}
    for resource in resources:
        base = f"{terraform_type(resource.type)}.{terraform_name(resource.name)}"
        address, count = base, 1
        while address in taken:
            count += 1
            address = f"{base}-{count}"
        taken.add(address)
        found[resource.urn] = address
    return found


def _translate_stack(stack: StackPlan, module: str, taken: set[str]) -> Iterator[_Translated]:
    resources = aws_resources(stack)
    local = addresses(resources, taken)
    targets = [
        target(resource, local[resource.urn], stack.resource_outputs.get(resource.urn, {}))
        for resource in resources
    ]
    for resource in resources:
        address = local[resource.urn]
        tf_type, tf_name = address.split(".", 1)
        properties = resolve(resource, targets)
        values, unknown, expressions = _translate_properties(tf_type, properties)
        common = {
            "address": f"module.{module}.{address}",
            "mode": "managed",
            "type": tf_type,
            "name": tf_name,
            "provider_name": PROVIDER_NAME,
        }
        yield _Translated(
            planned={**common, "schema_version": 0, "values": values, "sensitive_values": {}},
            change={
                **common,
                "module_address": f"module.{module}",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            },
            configuration={
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": tf_name,
                "provider_config_key": "aws",
                "expressions": expressions,
                "schema_version": 0,
            },
            origin={
                "project": stack.project,
                "name": resource.name,
                "type": resource.type,
                "urn": resource.urn,
            },
        )


def _translate_properties(
    tf_type: str, properties: Mapping[str, ResolvedProperty]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(planned values, after_unknown, configuration expressions) of one resource."""
    block = {
        key: _terraform_value(tf_type, key, prop.value)
        for key, prop in properties.items()
        if not key.startswith("__")
    }
    names = {key: attribute_name(tf_type, key) for key in block}
    converted = {names[key]: value for key, value in block.items()}
    values, unknown = _known(converted)
    expressions = _expressions(converted)
    for key, prop in properties.items():
        if prop.embedded is not None and key in names:
            name = names[key]
            if isinstance(expressions.get(name), dict):
                expressions[name] = {"references": prop.embedded.expression()}
    return values, unknown, expressions


def _terraform_value(tf_type: str, key: str | None, value: Any, *, in_list: bool = False) -> Any:
    """A Pulumi value in Terraform's shape (names, blocks as lists, whole numbers as ints)."""
    if is_unknown(value):
        return _Unknown()
    if isinstance(value, Mapping) and key not in MAP_ATTRIBUTES:
        inner = {
            attribute_name(tf_type, k): _terraform_value(tf_type, k, v)
            for k, v in value.items()
            if not str(k).startswith("__")
        }
        # A nested block is a list of objects; inside a list it is one of them.
        return inner if in_list else [inner]
    if isinstance(value, list | tuple):
        # Items are not the map the key may name (an Auto Scaling group's `tags` is a list of
        # `tag` blocks).
        return [_terraform_value(tf_type, None, item, in_list=True) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # Scalars, maps (tags) and references are already what Terraform shows.
    return dict(value) if isinstance(value, Mapping) else value


def _is_pending(value: Any) -> bool:
    """A reference or unknown value, or a list holding one (at any depth)."""
    if isinstance(value, list):
        return any(map(_is_pending, value))
    return isinstance(value, Reference | _Unknown)


def _references(value: Any) -> list[str]:
    if isinstance(value, list):
        return [reference for item in value for reference in _references(item)]
    return value.expression() if isinstance(value, Reference) else []


def _block_list(value: Any) -> bool:
    """Nested blocks: a non-empty list of objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) for i in value)


def _known(block: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The planned values of a block and its `after_unknown` (values known only after apply)."""
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, value in block.items():
        if _block_list(value):
            pairs = [_known(item) for item in value]
            values[key] = [known for known, _ in pairs]
            if any(pending for _, pending in pairs):
                unknown[key] = [pending for _, pending in pairs]
        elif _is_pending(value):
            # Like Terraform: a list or set with an unknown element is unknown as a whole.
            unknown[key] = True
        else:
            values[key] = value
    return values, unknown


def _expressions(block: Mapping[str, Any]) -> dict[str, Any]:
    """Terraform's configuration expressions: constants, references, nested blocks."""
    expressions: dict[str, Any] = {}
    for key, value in block.items():
        if _block_list(value):
            expressions[key] = [_expressions(item) for item in value]
        elif isinstance(value, _Unknown):
            expressions[key] = {}
        elif _is_pending(value):
            expressions[key] = {"references": _references(value)}
        else:
            expressions[key] = {"constant_value": value}
    return expressions


def _provider_config(plan: EnvironmentPlan) -> dict[str, Any]:
    """The AWS provider's region, as the stacks' explicit providers set it."""
    regions = {
        resource.get("region")
        for stack in plan.stacks
        for resource in stack.resources
        if resource.type == t.AWS_PROVIDER and isinstance(resource.get("region"), str)
    }
    expressions = {"region": {"constant_value": regions.pop()}} if len(regions) == 1 else {}
    return {"aws": {"name": "aws", "full_name": PROVIDER_NAME, "expressions": expressions}}
