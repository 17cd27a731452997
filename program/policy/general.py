"""Rules across services: tags, region, DEBUG in production, protection of the data."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

from program.policy.model import (
    Enforcement,
    Resource,
    Rule,
    StackView,
    is_unknown,
    json_value,
)
from program.policy.values import as_bool
from shared import aws_types as t
from shared.naming import tags as naming_tags

# `DEBUG=true`, `export APP_DEBUG="1"`, `debug: yes`, `"DEBUG": true` in rendered user data.
_DEBUG_SETTING = re.compile(
    r"""["']?\b(?:[A-Z0-9]+_)?DEBUG["']?\s*[=:]\s*["']?([A-Za-z0-9]+)""", re.IGNORECASE
)
_TRUE_WORDS = frozenset({"true", "1", "yes", "on"})


def _tag_map(value: Any) -> dict[str, Any] | None:
    """Tags as a mapping; None when unknown. Accepts the list form ({key, value}) too."""
    if is_unknown(value):
        return None
    value = json_value(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        return {
            str(item.get("key")): item.get("value") for item in value if isinstance(item, Mapping)
        }
    return {}


def provider_default_tags(provider: Resource | None) -> dict[str, Any] | None:
    """The default tags an AWS provider applies; None when they are not known yet."""
    if provider is None:
        return {}
    default_tags = json_value(provider.get("defaultTags"))
    if is_unknown(default_tags):
        return None
    if isinstance(default_tags, Mapping):
        return _tag_map(default_tags.get("tags"))
    return {}


def _tag_problems(resource: Resource, view: StackView) -> Iterator[str]:
    takes_tags, takes_default_tags = t.tag_support(resource.type)
    if not takes_tags:
        return
    own = _tag_map(resource.get("tags"))
    everything = _tag_map(resource.get("tagsAll"))
    defaults = provider_default_tags(view.provider_of(resource)) if takes_default_tags else {}
    if own is None or defaults is None:
        return
    effective = {**defaults, **own, **(everything or {})}
    # The keys shared.naming.tags() gives every resource: the one definition of "required".
    required = naming_tags(view.settings, "any")
    missing = [key for key in required if not effective.get(key)]
    if missing:
        where = "its own tags or its provider's default_tags" if takes_default_tags else "tags"
        yield f"lacks required tag(s) {', '.join(missing)} in {where}"
    environment = effective.get("Environment")
    if environment and not is_unknown(environment) and environment != view.settings.environment:
        yield (
            f"is tagged Environment={environment!r} in environment {view.settings.environment!r}"
        )


def _region_problems(resource: Resource, view: StackView) -> Iterator[str]:
    expected = view.settings.region
    if resource.type == t.AWS_PROVIDER:
        region = resource.get("region")
        if not is_unknown(region) and region != expected:
            yield f"provider region is {region!r}, not the settings' region {expected!r}"
        return
    if not t.is_aws_resource(resource.type):
        return
    if resource.provider is None or resource.provider.split("::")[-1].startswith("default"):
        yield (
            "uses the default AWS provider, whose region comes from the shell "
            "(AWS_REGION) instead of the settings"
        )
    else:
        provider = view.provider_of(resource)
        if provider is not None and provider.type != t.AWS_PROVIDER:
            yield f"is managed by {provider.type}, not an AWS provider"
    # Outputs carry the provider's region on every v7 resource; only a different one is an
    # override (inputs never carry it unless someone set it).
    region = resource.get("region")
    if isinstance(region, str) and region != expected:
        yield f"overrides the region with {region!r}; the settings' region is {expected!r}"


def _user_data_text(resource: Resource) -> str | None:
    """The rendered user data, decoded from base64 where the type stores it that way."""
    plain = resource.get("userData")
    encoded = resource.get("userDataBase64")
    if resource.type == t.LAUNCH_TEMPLATE:
        plain, encoded = None, plain
    if isinstance(plain, str):
        return plain
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return encoded
    return None


def debug_values(user_data: str) -> list[str]:
    """Every value user data assigns to a DEBUG setting."""
    return [match.group(1) for match in _DEBUG_SETTING.finditer(user_data)]


def _debug_problems(resource: Resource, view: StackView) -> Iterator[str]:
    if not view.settings.production:
        return
    if view.settings.debug:
        yield f"environment {view.settings.environment!r} is production but its settings say debug"
    user_data = _user_data_text(resource)
    if user_data is None:
        return
    for value in debug_values(user_data):
        if value.lower() in _TRUE_WORDS:
            yield f"user data sets DEBUG={value} in production"


def _protection_problems(resource: Resource, view: StackView) -> Iterator[str]:
    if not t.holds_data(resource.type):
        return
    if view.settings.production and as_bool(resource.protect) is not True:
        yield "is not protected, so a destroy or a replacement would delete production data"


RULES = (
    Rule(
        id="required-tags",
        description=(
            "Every taggable resource carries the required tags (own tags or the provider's "
            "default tags)."
        ),
        enforcement=Enforcement.MANDATORY,
        resource_types=(),
        check=_tag_problems,
        fix=(
            "create the resource with the project's provider (program.provider.aws_provider, "
            "whose default_tags are shared.naming.tags) or pass tags=shared.naming.tags(...)"
        ),
        references=("AWS tagging best practices",),
    ),
    Rule(
        id="region-pinned",
        description="Every resource is created in the settings' region by an explicit provider.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(),
        check=_region_problems,
        fix=(
            "create every resource with the project's explicit provider "
            "(program.provider.aws_provider) and no per-resource region"
        ),
    ),
    Rule(
        id="production-debug-off",
        description="Production never runs the application with DEBUG on.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.INSTANCE, t.LAUNCH_TEMPLATE),
        check=_debug_problems,
        fix=(
            "set debug: false in shared/environments/production.yaml and render DEBUG from "
            "the settings into the user data"
        ),
    ),
    Rule(
        id="production-protect-data",
        description=(
            "In production, what holds data or keys (the KMS key, the S3 buckets, and any type "
            "not yet described as stateless) is protected from deletion."
        ),
        enforcement=Enforcement.MANDATORY,
        # Every type that holds data or keys, and every AWS type no row marks stateless.
        resource_types=(),
        check=_protection_problems,
        fix="pass ResourceOptions(protect=True) for this resource in production",
    ),
)
