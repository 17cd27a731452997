"""What the orchestrator reads from a stack's state (`pulumi stack export`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestration.engine.interface import PendingCreate, StackState, StateResource

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


def parse_state(exported: Mapping[str, Any]) -> StackState:
    """Resources, pending creates and the outputs each StackReference holds."""
    deployment = exported.get("deployment") or {}
    resources = []
    references: dict[str, Mapping[str, Any]] = {}
    for resource in deployment.get("resources") or []:
        urn, type_ = str(resource.get("urn", "")), str(resource.get("type", ""))
        arn = (resource.get("outputs") or {}).get("arn")
        resources.append(
            StateResource(
                urn,
                type_,
                bool(resource.get("protect")),
                id=str(resource.get("id") or ""),
                arn=arn if isinstance(arn, str) else "",
            )
        )
        if type_ == STACK_REFERENCE_TYPE:
            held = resource.get("outputs") or {}
            name = str(held.get("name") or (resource.get("inputs") or {}).get("name") or "")
            references[name] = dict(held.get("outputs") or {})
    pending = tuple(
        PendingCreate(
            urn=str(entry["resource"].get("urn", "")),
            type=str(entry["resource"].get("type", "")),
            inputs=dict(entry["resource"].get("inputs") or {}),
            parent=entry["resource"].get("parent") or None,
            provider=entry["resource"].get("provider") or None,
        )
        for entry in deployment.get("pending_operations") or []
        if entry.get("type") == "creating" and entry.get("resource")
    )
    return StackState(tuple(resources), pending, references)
