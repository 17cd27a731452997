"""TEST-ONLY stand-in AWS provider: a resource's outputs, and which changes replace it.

Renders the templates of `catalog.KINDS` over the inputs, the provider config and a
per-resource seed; the input the provider names and the inputs that force a replacement are the
type table's (`shared.aws_types`).
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Mapping
from typing import Any

from shared import aws_types as t
from shared.aws_facts import (
    zone_id_prefix,
    zone_names,
)
from tests.engine.standin_aws.account import ProviderConfig, default_vpc_id, digest
from tests.engine.standin_aws.catalog import Template, autoname_of, kind_of
from tests.engine.standin_aws.wire import (
    UNKNOWN,
    Props,
    contains_secret,
    contains_unknown,
    plain,
    same,
    secret,
)


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(f"template field {key!r} has no value (not an input, config or seed)")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _render(template: Template, context: Mapping[str, Any]) -> Any:
    if callable(template):
        return template(context)
    return template.format_map(context)


# -- rendering outputs ---------------------------------------------------------------------


def seed_for(urn: str, generation: int) -> str:
    """The per-resource randomness: fixed by the URN and how often that URN was created."""
    return digest(urn, str(generation))


def _context(type_: str, urn: str, inputs: Props, config: ProviderConfig, seed: str) -> _Context:
    values = plain(inputs)
    region = str(values.get("region") or config.region)
    regional = ProviderConfig(
        region=region, default_tags=config.default_tags, account=config.account
    )
    numbers = bytes.fromhex(seed[:16])
    second = digest(seed, "b")
    lb_type = values.get("loadBalancerType")
    context = _Context(
        config=regional,
        account=config.account,
        region=region,
        partition=regional.partition,
        dns_suffix=regional.dns_suffix,
        logical=urn.rsplit("::", 1)[-1],
        slug=type_.rsplit(":", 1)[-1].lower(),
        seed=seed,
        hex7=seed[:7],
        hex16=seed[:16],
        hex17=seed[:17],
        HEX17=seed[:17].upper(),
        hex17b=second[:17],
        uuid=str(uuid.UUID(seed[:32])),
        digits10=str(int(seed[:15], 16))[:10],
        o1=numbers[0],
        o2=numbers[1],
        o3=numbers[2],
        zone_a=zone_names(region)[0],
        zone_prefix=zone_id_prefix(region),
        default_vpc=default_vpc_id(regional),
        lb_kind={"network": "net", "gateway": "gwy"}.get(str(lb_type), "app"),
    )
    context.update(values)
    return context


def autoname_value(auto: t.AutoName, logical: str, seed: str, prefix: str | None = None) -> str:
    """Pulumi's `<logical name>-<7 hex>`, or, given a name prefix, the provider's
    `<prefix><26 characters>` (Terraform's PrefixedUniqueId: a timestamp and a counter)."""
    if prefix:
        return prefix + str(int(seed[:20], 16)).zfill(26)[-18:] + seed[20:28]
    stem = logical.lower() if auto.lower else logical
    return f"{stem[: auto.max_length - 8]}-{seed[:7]}"


def _tags_all(inputs: Props, config: ProviderConfig) -> Any:
    tags = inputs.get("tags")
    if contains_unknown(tags):
        return UNKNOWN
    merged = {**dict(config.default_tags), **(plain(tags) or {})}
    return secret(merged) if contains_secret(tags) else merged


def render_outputs(
    type_: str,
    urn: str,
    inputs: Props,
    config: ProviderConfig,
    seed: str,
    *,
    resource_id: str | None = None,
    previous: Props | None = None,
) -> tuple[str, Props]:
    """(id, outputs) of a created or updated resource: the inputs echoed plus computed outputs.

    `previous` (the old outputs, on update) keeps an auto-generated name stable.
    """
    kind = kind_of(type_)
    inputs = dict(inputs)
    outputs: Props = dict(inputs)
    context = _context(type_, urn, inputs, config, seed)
    auto = autoname_of(type_)
    if auto is not None and plain(inputs.get(auto.input)) in (None, ""):
        prefix = plain(inputs.get(auto.prefix_input)) or None
        name = (previous or {}).get(auto.input) or autoname_value(
            auto, context["logical"], seed, prefix
        )
        outputs[auto.input] = name
        context[auto.input] = plain(name)
    secret_inputs = {key for key, value in inputs.items() if contains_secret(value)}
    if resource_id is None:
        resource_id = str(_render(kind.id, context))
    context["id"] = resource_id
    for key, template in kind.outputs.items():
        if plain(inputs.get(key)) is not None:
            continue
        value = _render(template, context)
        if isinstance(template, str) and _fields(template) & secret_inputs:
            value = secret(value)
        outputs[key] = value
        context[key] = plain(value)
    if kind.tags or ("tags" in inputs and not kind.tag_blocks):
        outputs["tagsAll"] = _tags_all(inputs, config)
    outputs["id"] = resource_id
    return resource_id, outputs


def preview_outputs(type_: str, inputs: Props, config: ProviderConfig, olds: Props | None) -> Props:
    """Outputs during preview: what the real provider knows before it calls AWS.

    A create knows its inputs and `tagsAll`; every computed output is unknown. An update keeps
    the old computed outputs and takes the new inputs.
    """
    kind = kind_of(type_)
    if olds is None:
        outputs: Props = dict.fromkeys(kind.outputs, UNKNOWN)
        if (auto := autoname_of(type_)) is not None:
            outputs[auto.input] = UNKNOWN
        outputs.update(inputs)
    else:
        outputs = {**olds, **inputs}
        changed = any(not same(olds.get(key), value) for key, value in inputs.items())
        if changed:
            outputs.update(dict.fromkeys(kind.recomputed, UNKNOWN))
    if kind.tags or ("tags" in inputs and not kind.tag_blocks):
        outputs["tagsAll"] = _tags_all(inputs, config)
    return outputs


# -- diff ----------------------------------------------------------------------------------


def replace_keys(type_: str, news: Props) -> frozenset[str]:
    """Inputs whose change replaces a resource of `type_`, given its new inputs (the type
    table's; an unknown type is replaced only by a new region, as every v7 resource is)."""
    row = t.TYPES.get(type_)
    if row is None:
        return t.ALWAYS_REPLACE
    conditional = {key for key, flag in row.replace_when.items() if plain(news.get(flag)) is True}
    return row.replace_keys | conditional
