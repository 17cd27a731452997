"""The AWS type table's model: what a row (`AwsType`) says, and the registry of rows (`TYPES`).

`shared.aws_types` holds the rows themselves, added with `define`; here are also the readers
of the registry (`import_id`, `with_aliases`), the import-id helpers rows name, and what is read
from pulumi-aws itself rather than kept in a column (`tag_support`).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
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
    # The token this one is the provider's alias of (`aws:alb/...` of `aws:lb/...`), if any.
    alias_of: str | None = None

    @property
    def replace_keys(self) -> frozenset[str]:
        """The inputs whose change always replaces the resource (the name included)."""
        named = {self.autoname.input, self.autoname.prefix_input} if self.autoname else set()
        return self.replace_on_change | named | ALWAYS_REPLACE


_TYPES: dict[str, AwsType] = {}
TYPES: Final[Mapping[str, AwsType]] = MappingProxyType(_TYPES)


def define(
    token: str,
    terraform: str,
    *,
    stateful: bool = False,
    autoname: AutoName | None = None,
    replace: Iterable[str] = (),
    replace_when: Mapping[str, str] | None = None,
    import_id: ImportId | None = None,
) -> str:
    """Adds a row to `TYPES`; returns the token, the name the code refers to the type by."""
    _TYPES[token] = AwsType(
        token,
        terraform,
        stateful=stateful,
        autoname=autoname,
        replace_on_change=frozenset(replace),
        replace_when=MappingProxyType(dict(replace_when or {})),
        import_id=import_id,
    )
    return token


def define_alias(token: str, terraform: str, of: str) -> str:
    """`aws:alb/...` tokens are the provider's aliases of `aws:lb/...`: the same facts."""
    _TYPES[token] = dataclasses.replace(_TYPES[of], token=token, terraform=terraform, alias_of=of)
    return token


def with_aliases(token: str) -> tuple[str, ...]:
    """`token` and the provider's aliases of it: every token a resource of that type may have."""
    return (token, *(alias for alias, row in TYPES.items() if row.alias_of == token))


def holds_data(type_: str) -> bool:
    """True for an AWS type that holds data or keys, or that no row marks stateless.

    A type nobody has described yet is treated as holding data: deleting or replacing it needs
    `--allow-delete`, and production protects it, until its row says `stateful=False`.
    """
    if not is_aws_resource(type_):
        return False
    row = TYPES.get(type_)
    return row is None or row.stateful


def import_id(type_: str, inputs: Mapping[str, Any]) -> str | None:
    """The id to import a resource of `type_` by, from its inputs; None when AWS picks it."""
    row = TYPES.get(type_)
    return row.import_id(inputs) if row is not None and row.import_id is not None else None


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
