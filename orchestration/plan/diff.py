"""The plan as a diff: what a deploy would change, from two JSON plans (base and head).

`pulumi preview --diff` answers "what does this change do to the stacks?", but it needs
credentials and the stacks' state. Here both sides are offline plans (`report.to_json`): the
base evaluated at a git revision, the head at the working tree. Resources are matched by URN
(by type and name for a base plan written before the JSON plan carried URNs); each one is:

- `create`: only in the head; `delete`: only in the base;
- `update`: in both, some input differs; `replace`: an input among the type's replace keys
  (`shared.aws_types.TYPES[type].replace_keys`, and `replace_when` inputs while their flag is
  set) differs; the change lists those keys.

The properties are the inputs' leaves (`rules.0.id`) as old → new, None where not set, secret
values (Pulumi's secret envelope in the plan) masked; a text input holding a JSON document (a
policy) is compared by its leaves (`policy.Statement.1.Resource`), a multi-line one (user data)
by its changed lines (`userData@12`: the head's lines from line 12).

Placeholders are deterministic (derived from each resource's type and name, and from inputs),
so an unchanged resource has the same placeholders in both plans and shows no change.
Replacing or deleting a resource that holds data (`shared.aws_types.holds_data`) is marked:
the deploy refuses it without --allow-delete.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared import aws_types as t

OPS = ("create", "update", "replace", "delete")
SECRET_MASK = "[secret]"  # noqa: S105 - what is shown instead of one
# Pulumi's wire signature of a secret value (pulumi.runtime.rpc): the plan keeps the envelope.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a marker, not a secret


@dataclass(frozen=True)
class PropertyChange:
    """One input leaf that differs: its dotted path, the base value, the head value."""

    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One resource a deploy of the head would create, update, replace or delete."""

    name: str
    type: str
    op: str
    properties: tuple[PropertyChange, ...]
    # The changed inputs that force the replacement (empty unless op is `replace`).
    replace_keys: tuple[str, ...] = ()

    @property
    def loses_data(self) -> bool:
        """A replacement or deletion of a resource holding data: refused without --allow-delete."""
        return self.op in ("replace", "delete") and t.holds_data(self.type)


@dataclass(frozen=True)
class StackDiff:
    """One stack's changes, and how many of its resources stay as they are."""

    project: str
    stack: str
    changes: tuple[Change, ...]
    unchanged: int

    def count(self, op: str) -> int:
        return sum(1 for change in self.changes if change.op == op)


@dataclass(frozen=True)
class PlanDiff:
    """The diff of one environment: base revision, stacks in deploy order."""

    environment: str
    base: str
    stacks: tuple[StackDiff, ...]

    @property
    def changed(self) -> bool:
        return any(stack.changes for stack in self.stacks)

    def count(self, op: str) -> int:
        return sum(stack.count(op) for stack in self.stacks)

    @property
    def data_losses(self) -> tuple[Change, ...]:
        return tuple(c for stack in self.stacks for c in stack.changes if c.loses_data)


def is_secret(value: Any) -> bool:
    """True for a value the plan holds as Pulumi's secret envelope."""
    return isinstance(value, Mapping) and value.get(_SIG_KEY) == _SECRET_SIG


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every leaf of `value`: a secret is one masked leaf."""
    if is_secret(value):
        yield path, SECRET_MASK
    elif isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, value


def property_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[PropertyChange]:
    """The input leaves that differ between two resources' inputs, in the head's order.

    A secret leaf that changed shows as `[secret]` → `[secret]`: the values never appear.
    """
    changes = []
    for key in _union(old, new):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if is_secret(before) or is_secret(after):
            changes.append(PropertyChange(key, _mask(before), _mask(after)))
            continue
        if isinstance(before, str) and isinstance(after, str):
            changes.extend(_text_changes(key, before, after))
            continue
        old_leaves, new_leaves = dict(leaves(before, key)), dict(leaves(after, key))
        changes.extend(
            PropertyChange(path, old_leaves.get(path), new_leaves.get(path))
            for path in _union(old_leaves, new_leaves)
            if old_leaves.get(path) != new_leaves.get(path)
            or (path in old_leaves) != (path in new_leaves)
        )
    return changes


def _text_changes(key: str, before: str, after: str) -> list[PropertyChange]:
    """A changed text input: a JSON document (a policy) by its leaves, a script (user data)
    by its changed lines (`userData@12`: from line 12), anything else whole."""
    documents = _json_document(before), _json_document(after)
    if documents[0] is not None and documents[1] is not None:
        old, new = dict(leaves(documents[0], key)), dict(leaves(documents[1], key))
        return [
            PropertyChange(path, old.get(path), new.get(path))
            for path in _union(old, new)
            if old.get(path) != new.get(path) or (path in old) != (path in new)
        ]
    if "\n" not in before + after:
        return [PropertyChange(key, before, after)]
    old_lines, new_lines = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    return [
        PropertyChange(
            f"{key}@{first_new + 1}",
            "\n".join(old_lines[first_old:last_old]) or None,
            "\n".join(new_lines[first_new:last_new]) or None,
        )
        for tag, first_old, last_old, first_new, last_new in matcher.get_opcodes()
        if tag != "equal"
    ]


def _json_document(text: str) -> Any:
    """`text` parsed when it is a JSON object or array (a policy document), else None."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict | list) else None


def replace_triggers(type_: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The changed inputs that replace a resource of `type_`, per the type table.

    A type without a row is replaced only by a change of `region` (every pulumi-aws resource).
    """
    row = t.TYPES.get(type_)
    if row is not None:
        keys = set(row.replace_keys)
        keys.update(key for key, flag in row.replace_when.items() if new.get(flag) or old.get(flag))
    else:
        keys = set(t.ALWAYS_REPLACE) if t.is_aws_resource(type_) else set()
    return sorted(key for key in keys if old.get(key) != new.get(key))


def _mask(value: Any) -> Any:
    return SECRET_MASK if is_secret(value) else value


def _union(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    return [*second, *(key for key in first if key not in second)]


def _keys(resources: Sequence[Mapping[str, Any]], by_urn: bool) -> list[tuple[str, ...]]:
    """A key per resource: its URN, or (type, name, occurrence) for plans without URNs."""
    seen: dict[tuple[str, str], int] = {}
    keys: list[tuple[str, ...]] = []
    for resource in resources:
        if by_urn:
            keys.append((str(resource["urn"]),))
            continue
        pair = (str(resource["type"]), str(resource["name"]))
        seen[pair] = seen.get(pair, 0) + 1
        keys.append((*pair, str(seen[pair])))
    return keys


def _created_or_deleted(resource: Mapping[str, Any], op: str) -> Change:
    inputs = resource.get("inputs") or {}
    properties = [
        PropertyChange(path, None, value) if op == "create" else PropertyChange(path, value, None)
        for key, item in inputs.items()
        for path, value in leaves(item, key)
    ]
    return Change(str(resource["name"]), str(resource["type"]), op, tuple(properties))


def diff_stack(
    project: str,
    stack: str,
    base: Sequence[Mapping[str, Any]],
    head: Sequence[Mapping[str, Any]],
) -> StackDiff:
    """One stack's changes: head order (creates, updates, replacements), then the deletions."""
    by_urn = all("urn" in resource for resource in [*base, *head])
    old = dict(zip(_keys(base, by_urn), base, strict=True))
    new_keys = _keys(head, by_urn)
    changes, unchanged = [], 0
    for key, resource in zip(new_keys, head, strict=True):
        previous = old.get(key)
        if previous is None:
            changes.append(_created_or_deleted(resource, "create"))
            continue
        before, after = previous.get("inputs") or {}, resource.get("inputs") or {}
        properties = property_changes(before, after)
        if not properties:
            unchanged += 1
            continue
        triggers = replace_triggers(str(resource["type"]), before, after)
        changes.append(
            Change(
                name=str(resource["name"]),
                type=str(resource["type"]),
                op="replace" if triggers else "update",
                properties=tuple(properties),
                replace_keys=tuple(triggers),
            )
        )
    kept = set(new_keys)
    changes.extend(
        _created_or_deleted(resource, "delete") for key, resource in old.items() if key not in kept
    )
    return StackDiff(project, stack, tuple(changes), unchanged)


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any], base_ref: str) -> PlanDiff:
    """The diff of two JSON plans of one environment; stacks in the head's deploy order, then
    the stacks only the base has (their projects were removed: everything is deleted)."""
    base_stacks = {stack["project"]: stack for stack in base.get("stacks", [])}
    stacks = []
    for stack in head.get("stacks", []):
        before = base_stacks.pop(stack["project"], None)
        old_resources = before["resources"] if before else []
        stacks.append(
            diff_stack(stack["project"], stack["stack"], old_resources, stack["resources"])
        )
    stacks.extend(
        diff_stack(project, stack["stack"], stack["resources"], [])
        for project, stack in reversed(base_stacks.items())
    )
    return PlanDiff(str(head.get("environment", "")), base_ref, tuple(stacks))


def to_json(diff: PlanDiff) -> dict[str, Any]:
    """The machine-readable diff: every stack, an unchanged one with no changes."""
    return {
        "environment": diff.environment,
        "base": diff.base,
        "stacks": [
            {
                "project": stack.project,
                "changes": [
                    {
                        "name": change.name,
                        "type": change.type,
                        "op": change.op,
                        "properties": [
                            {"name": p.name, "old": p.old, "new": p.new} for p in change.properties
                        ],
                        "replace_keys": list(change.replace_keys),
                    }
                    for change in stack.changes
                ],
            }
            for stack in diff.stacks
        ],
    }
