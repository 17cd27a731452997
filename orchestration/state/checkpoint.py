"""One stack's checkpoint judged: does it parse, whose stack is it, how many resources it holds.

A checkpoint is a file of the DIY backends (`.pulumi/stacks/<project>/<stack>.json`, locally or
in the state bucket). Nothing in the backend checks that the file under a stack's name holds
that stack: a checkpoint copied or restored over another one parses, and a deploy would then
delete the other stack's resources as "no longer in the program". The owner is read from what
the engine wrote inside: the resources' URNs (`urn:pulumi:<stack>::<project>::...`) and,
for a checkpoint without resources, its qualified stack name (`<org>/<project>/<stack>`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_URN_PREFIX = "urn:pulumi:"


@dataclass(frozen=True)
class CheckpointCheck:
    """What one checkpoint holds, as far as restoring or deploying over it is concerned."""

    # How many resources it holds; None when it is not this stack's readable checkpoint.
    resources: int | None
    problem: str = ""
    # `<project>/<stack>` of the stack it belongs to, when that is another stack.
    owner: str | None = None

    @property
    def valid(self) -> bool:
        return self.resources is not None


def check_checkpoint(body: bytes, project: str, environment: str) -> CheckpointCheck:
    """Judge `body` as the checkpoint of `project`'s stack `environment`."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        return CheckpointCheck(None, f"not JSON ({error})")
    checkpoint = document.get("checkpoint") if isinstance(document, dict) else None
    if not isinstance(checkpoint, dict) or "stack" not in checkpoint:
        return CheckpointCheck(None, "no checkpoint in it")
    latest = checkpoint.get("latest") or {}
    resources = latest.get("resources") if isinstance(latest, dict) else None
    resources = resources if isinstance(resources, list) else []
    owner = _owner(str(checkpoint.get("stack", "")), resources)
    if owner is not None and owner != (project, environment):
        name = "/".join(owner)
        return CheckpointCheck(
            None, f"the checkpoint of {name}, not of {project}/{environment}", owner=name
        )
    return CheckpointCheck(len(resources))


def urn_owner(urn: str) -> tuple[str, str] | None:
    """(project, stack) a URN names, or None when it is not a Pulumi URN."""
    if not urn.startswith(_URN_PREFIX):
        return None
    parts = urn.removeprefix(_URN_PREFIX).split("::")
    if len(parts) < 3 or not parts[0] or not parts[1]:
        return None
    return parts[1], parts[0]


def foreign_owner(urns: Iterable[str], project: str, environment: str) -> str | None:
    """`<project>/<stack>` of the first URN naming another stack than `project`/`environment`."""
    for urn in urns:
        owner = urn_owner(urn)
        if owner is not None and owner != (project, environment):
            return "/".join(owner)
    return None


def _owner(stack: str, resources: list[Any]) -> tuple[str, str] | None:
    for resource in resources:
        if isinstance(resource, dict) and (owner := urn_owner(str(resource.get("urn", "")))):
            return owner
    parts = stack.split("/")
    # Only a qualified name says which project; a bare stack name (older backends) does not.
    return (parts[1], parts[2]) if len(parts) == 3 else None
