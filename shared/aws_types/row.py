"""One row of the AWS type table (`shared.aws_types`): what the project knows of one type.

Also the helpers that read what pulumi-aws itself says (`tag_support`) and that derive the import
ids the rows name, so the table module holds nothing but rows.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

# inputs -> the import id, or None when the inputs do not hold it.
ImportId = Callable[[Mapping[str, Any]], str | None]

# pulumi-aws v7 resources take a per-resource `region`; changing it always replaces one.
ALWAYS_REPLACE: Final = frozenset({"region"})


@dataclass(frozen=True)
class AutoName:
    """The input the provider fills with `<logical name>-<7 hex>` when it is not given, or with
    `<prefix><unique suffix>` given `<input>Prefix`; both force a replacement when changed."""

    input: str
    max_length: int = 255
    lower: bool = False

    @property
    def prefix_input(self) -> str:
        return f"{self.input}Prefix"


@dataclass(frozen=True)
class AwsType:
    """The facts about one pulumi-aws resource type."""

    token: str
    terraform: str
    stateful: bool = False
    autoname: AutoName | None = None
    replace_on_change: frozenset[str] = frozenset()
    # input -> flag input: the input forces a replacement only while the flag input is true.
    replace_when: Mapping[str, str] = dataclasses.field(default_factory=dict)
    import_id: ImportId | None = None

    @property
    def replace_keys(self) -> frozenset[str]:
        """The inputs whose change always replaces the resource (the name included)."""
        named = {self.autoname.input, self.autoname.prefix_input} if self.autoname else set()
        return self.replace_on_change | named | ALWAYS_REPLACE


def by_input(name: str) -> ImportId:
    """The import id of a type imported by one of its inputs (a bucket by `bucket` ...)."""

    def read(inputs: Mapping[str, Any]) -> str | None:
        return _text(inputs.get(name))

    return read


def role_policy_id(inputs: Mapping[str, Any]) -> str | None:
    """An inline role policy's import id: `<role>:<policy name>`."""
    role, name = _text(inputs.get("role")), _text(inputs.get("name"))
    return f"{role}:{name}" if role and name else None


def _text(value: Any) -> str | None:
    # A secret input is an encrypted envelope in the state, not text: no id from it.
    return value if isinstance(value, str) and value else None


def is_aws_resource(type_: str) -> bool:
    """True for resources the AWS provider manages (not providers, components or references)."""
    return type_.startswith("aws:")


@cache
def tag_support(type_: str) -> tuple[bool, bool]:
    """(takes `tags`, receives the provider's default tags) for an AWS type token.

    pulumi-aws exposes `tags_all` exactly where default tags apply; a few types take `tags`
    without it (an Auto Scaling group's tags are a list and ignore default tags). Unknown
    types count as untaggable: a rule cannot demand what the type does not support.
    """
    if not is_aws_resource(type_):
        return (False, False)
    try:
        module_part, class_name = type_.split(":")[1:3]
        module_name = module_part.split("/")[0]
        package = "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
        resource_class = getattr(importlib.import_module(package), class_name)
    except (ValueError, ImportError, AttributeError):
        return (False, False)
    return (hasattr(resource_class, "tags"), hasattr(resource_class, "tags_all"))
