"""TEST-ONLY stand-in AWS provider: names the provider makes up, replacements, default tags.

What the provider knows of a type beyond AWS's answers comes from the one type table,
`shared.aws_types`: which input it autonames (`<logical name>-<7 hex>`, or `<prefix><26
characters>` given `<input>Prefix`) and which inputs force a replacement.
"""

from __future__ import annotations

import hashlib

from shared import aws_types as t
from tests.engine.standin_aws.kinds.base import Kind, Op
from tests.engine.standin_aws.wire import Props, plain


def autoname(type_: str, urn: str, news: Props, olds: Props, seed: bytes) -> Props:
    """Check: fill the autonamed input, keeping the name the resource already has."""
    row = t.TYPES.get(type_)
    auto = row.autoname if row is not None else None
    if auto is None or plain(news.get(auto.input)) not in (None, ""):
        return news
    prefix = plain(news.get(auto.prefix_input))
    kept = olds.get(auto.input)
    if kept and (not prefix or str(plain(kept)).startswith(prefix)):
        return {**news, auto.input: kept}
    # The engine's random seed for this resource: a replacement gets a new one.
    unique = hashlib.sha256(seed + urn.encode()).hexdigest()
    if prefix:
        return {**news, auto.input: prefix + str(int(unique[:20], 16)).zfill(26)[-26:]}
    logical = urn.rsplit("::", 1)[-1]
    stem = logical.lower() if auto.lower else logical
    return {**news, auto.input: f"{stem[: auto.max_length - 8]}-{unique[:7]}"}


def replace_keys(type_: str, news: Props) -> frozenset[str]:
    """Inputs whose change replaces a resource of `type_`, given its new inputs (the type
    table's; an unknown type is replaced only by a new region, as every v7 resource is)."""
    row = t.TYPES.get(type_)
    if row is None:
        return t.ALWAYS_REPLACE
    conditional = {key for key, flag in row.replace_when.items() if plain(news.get(flag)) is True}
    return row.replace_keys | conditional


def with_tags_all(kind: Kind, op: Op, outputs: Props) -> Props:
    """`outputs` plus `tagsAll` (default tags under the resource's own) for a tagged type."""
    if not kind.tagged:
        return outputs
    return {**outputs, "tagsAll": op.tags_all}
