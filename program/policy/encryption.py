"""Encryption at rest, for every AWS type that takes a KMS key: the key is the customer key.

A queue, a topic, a table or a volume added tomorrow needs no rule of its own: wherever the
pulumi-aws resource class has a KMS key input (`kms_master_key_id` of a queue or topic,
`kms_key_id` of a volume, `server_side_encryption.kms_key_arn` of a DynamoDB table ...), the
input must name the security stack's key. The inputs are read from pulumi-aws itself (its
`<Type>Args` classes and their engine names), as `shared.aws_types.tag_support` reads tags,
so the list cannot go stale; pulumi_aws is loaded by name, only when a rule asks about a type.

Which inputs count: the resource's own key (`kms_key_id`, `kms_master_key_id`, `kms_key_arn`,
`kms_key`, `kms_key_identifier`, `kms_arn`, string-valued), at the top level or inside a block
about encryption (`server_side_encryption`, `encryption_configuration` ...). Prefixed keys
(`performance_insights_kms_key_id`, `replica_kms_key_id`) serve optional side features and are
not demanded. Types a specific rule already judges with more knowledge (an S3 bucket's
SSE-S3 log target, a launch template's string booleans) are left to that rule
(`SPECIFIC_RULES`).

Production must use the customer key (mandatory); other environments are warned (advisory).
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Final

from program.policy.model import Enforcement, Resource, Rule, Scope, StackView, is_unknown
from program.policy.values import customer_key_problem
from shared import aws_types as t

# The input names of a resource's own KMS key across pulumi-aws (string-valued ones only).
KEY_INPUT_NAMES: Final = frozenset(
    {
        "kms_key_id",
        "kms_master_key_id",
        "kms_key_arn",
        "kms_key",
        "kms_key_identifier",
        "kms_arn",
    }
)
# Blocks whose keys count as the resource's own: the ones about encryption.
_BLOCK_WORDS: Final = ("encryption",)
_MAX_DEPTH: Final = 2

# Types whose key a specific rule judges (with what the generic rule cannot know), by rule id.
SPECIFIC_RULES: Final[Mapping[str, str]] = MappingProxyType(
    {
        t.BUCKET: "s3-bucket-encryption-customer-key",
        # The bucket's rule reads it; the log target bucket is SSE-S3 on purpose.
        t.BUCKET_ENCRYPTION: "s3-bucket-encryption-customer-key",
        t.LOG_GROUP: "cloudwatch-log-group-encrypted",
        t.INSTANCE: "ec2-root-volume-customer-key",
        t.LAUNCH_TEMPLATE: "ec2-root-volume-customer-key",
    }
)


@dataclass(frozen=True)
class KeyInput:
    """Where a type takes a KMS key: engine names (for the props) and Python names (for people)."""

    path: tuple[str, ...]
    label: str


def _args_class(type_: str) -> type | None:
    """pulumi-aws's `<Class>Args` for an AWS type token; None for other or unknown types."""
    if not t.is_aws_resource(type_):
        return None
    try:
        module_part, class_name = type_.split(":")[1:3]
    except ValueError:
        return None
    module_name = module_part.split("/")[0]
    package = "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
    # A module named by a Python keyword gets an underscore (`aws:lambda/...` is `lambda_`).
    for candidate in (package, f"{package}_"):
        try:
            found = getattr(importlib.import_module(candidate), f"{class_name}Args", None)
        except ImportError:
            continue
        if isinstance(found, type):
            return found
    return None


def _annotation_parts(annotation: Any) -> Iterator[Any]:
    """Every type inside an annotation (through Union, Optional, Sequence, Awaitable ...)."""
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _annotation_parts(argument)


def _inputs(args_class: type) -> Iterator[tuple[str, str, list[Any]]]:
    """(Python name, engine name, annotation parts) of each input an Args class declares."""
    for name, member in vars(args_class).items():
        if not isinstance(member, property) or member.fget is None:
            continue
        engine = getattr(member.fget, "_pulumi_name", None)
        annotation = getattr(member.fget, "__annotations__", {}).get("return")
        if isinstance(engine, str) and annotation is not None:
            yield name, engine, list(_annotation_parts(annotation))


def _block_class(parts: list[Any], package: str) -> type | None:
    """The Args class of a nested block input (forward references into the package)."""
    module = importlib.import_module(package)
    for part in parts:
        if isinstance(part, typing.ForwardRef) and part.__forward_arg__.endswith("Args"):
            found = getattr(module, part.__forward_arg__, None)
            if isinstance(found, type):
                return found
    return None


def _key_inputs_of(args_class: type, depth: int) -> Iterator[KeyInput]:
    package = args_class.__module__.rsplit(".", 1)[0]
    for name, engine, parts in _inputs(args_class):
        if name in KEY_INPUT_NAMES and str in parts:
            yield KeyInput((engine,), name)
        elif depth < _MAX_DEPTH and any(word in name for word in _BLOCK_WORDS):
            block = _block_class(parts, package)
            if block is not None:
                for inner in _key_inputs_of(block, depth + 1):
                    yield KeyInput((engine, *inner.path), f"{name}.{inner.label}")


@cache
def key_inputs(type_: str) -> tuple[KeyInput, ...]:
    """Where resources of `type_` take their KMS key, read from pulumi-aws (empty: nowhere)."""
    args_class = _args_class(type_)
    return tuple(_key_inputs_of(args_class, 1)) if args_class is not None else ()


def _values(value: Any, path: Sequence[str]) -> Iterator[Any]:
    """The values at `path` under `value`, through lists of blocks; None where one is absent."""
    if not path:
        yield value
        return
    if is_unknown(value):
        yield value
    elif isinstance(value, Mapping):
        yield from _values(value.get(path[0]), path[1:])
    elif isinstance(value, Sequence) and not isinstance(value, str) and value:
        for item in value:
            yield from _values(item, path)
    else:
        yield None


def _key_problems(resource: Resource, view: StackView) -> Iterator[str]:
    if resource.type in SPECIFIC_RULES:
        return
    for key_input in key_inputs(resource.type):
        for key in _values(resource.props, key_input.path):
            problem = customer_key_problem(
                resource, view, key, prop=key_input.path[0], what=key_input.label
            )
            if problem:
                yield problem


def _in_production(resource: Resource, view: StackView) -> Iterator[str]:
    return _key_problems(resource, view) if view.settings.production else iter(())


def _outside_production(resource: Resource, view: StackView) -> Iterator[str]:
    return iter(()) if view.settings.production else _key_problems(resource, view)


_DESCRIPTION = (
    "Every AWS resource that takes a KMS key (read from pulumi-aws) is encrypted with the "
    "security stack's customer-managed key"
)
_FIX = (
    "pass the security stack's kms_key_arn (shared.topology.KMS_KEY_ARN, read through the "
    "StackReference) as the resource's KMS key input (e.g. kms_master_key_id for SQS and SNS, "
    "server_side_encryption.kms_key_arn for DynamoDB)"
)
# Checkov asks the queue and the topic for encryption (any key); which key, it cannot know.
_REFERENCES = ("CKV_AWS_27", "CKV_AWS_26")

RULES = (
    Rule(
        id="encryption-at-rest-customer-key",
        description=f"{_DESCRIPTION}; mandatory in production.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(),
        check=_in_production,
        fix=_FIX,
        scope=Scope.STACK,
        references=_REFERENCES,
    ),
    Rule(
        id="encryption-at-rest-customer-key-advisory",
        description=f"{_DESCRIPTION}; a warning outside production.",
        enforcement=Enforcement.ADVISORY,
        resource_types=(),
        check=_outside_production,
        fix=_FIX,
        scope=Scope.STACK,
        references=_REFERENCES,
    ),
)
