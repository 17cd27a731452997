"""What an operation did, read from the engine's event log (`pulumi ... --event-log FILE`).

The CLI writes one JSON engine event per line. Three kinds carry what the orchestrator needs, so
no further CLI call (`stack history`, `stack output`) is made after an operation:

- `summaryEvent`: the resource changes by operation (what the summary table shows);
- `resourcePreEvent`: each resource step (op, URN, type) -- in a preview, what an update would
  do, which the deploy guard inspects before anything changes;
- `resOutputsEvent` of the root `pulumi:pulumi:Stack` resource: the stack's outputs before
  (`old`) and after (`new`) the program ran. In a preview the keys are certain while values
  computed by the update are placeholders.

Refresh steps (op `refresh`) only read the cloud; the steps that follow them are the update's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from orchestration.engine.interface import STACK_TYPE, OperationResult, ResourceStep

_REFRESH = "refresh"


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events in an event log file (an empty list when the CLI wrote none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            # A line cut short by a killed CLI: what came before is still worth reading.
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def operation_result(events: Iterable[Mapping[str, Any]]) -> OperationResult:
    """Changes, steps and outputs of one operation from its events."""
    changes: Mapping[str, Any] = {}
    steps: list[ResourceStep] = []
    outputs: Mapping[str, Any] = {}
    previous: Mapping[str, Any] | None = None
    for event in events:
        if "summaryEvent" in event:
            changes = event["summaryEvent"].get("resourceChanges") or {}
            continue
        pre = event.get("resourcePreEvent")
        if pre is not None:
            step = _step(pre.get("metadata") or {})
            if step is not None:
                steps.append(step)
            continue
        done = event.get("resOutputsEvent")
        if done is not None:
            metadata = done.get("metadata") or {}
            if metadata.get("type") == STACK_TYPE and metadata.get("op") != _REFRESH:
                outputs = (metadata.get("new") or {}).get("outputs") or {}
                old = metadata.get("old")
                previous = (old or {}).get("outputs") or {} if old is not None else None
    return OperationResult(
        changes={str(op): int(count) for op, count in changes.items()},
        outputs=outputs,
        steps=tuple(steps),
        previous_outputs=previous,
    )


def _step(metadata: Mapping[str, Any]) -> ResourceStep | None:
    op = metadata.get("op")
    urn = metadata.get("urn")
    if not op or not urn or op == _REFRESH:
        return None
    return ResourceStep(op=str(op), urn=str(urn), type=str(metadata.get("type") or ""))
