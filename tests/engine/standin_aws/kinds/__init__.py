"""TEST-ONLY stand-in: every resource type it serves, by pulumi-aws type token (`KINDS`)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module

from tests.engine.standin_aws.kinds.base import Kind

# One module per AWS service; each holds a KINDS table of its types.
_MODULES = (
    "kms",
    "s3",
    "iam",
    "logs",
    "network",
    "security_groups",
    "compute",
    "autoscaling",
    "elb",
)


def _collect() -> Mapping[str, Kind]:
    kinds: dict[str, Kind] = {}
    for name in _MODULES:
        try:
            module = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            continue
        kinds.update(module.KINDS)
    return kinds


KINDS = _collect()
