"""The plan diff for people: text for a terminal, Markdown for a pull request.

Each stack with changes lists them as `pulumi preview --diff` would (+ create, ~ update,
+- replace, - delete) with the properties that differ and the replace keys behind a
replacement; a replacement or deletion of a resource that holds data is marked, as the
deploy's --allow-delete guard would refuse it. Unchanged stacks share one line.
"""

from __future__ import annotations

from typing import Any

from orchestration.plan.diff import Change, PlanDiff, StackDiff
from orchestration.plan.report import short

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
MARKDOWN_OPS = {
    "create": "🟢 create",
    "update": "🟡 update",
    "replace": "🔴 replace",
    "delete": "🔴 delete",
}
LOSS_NOTE = "holds data: the deploy refuses it without --allow-delete"
# Properties shown per created or deleted resource (every one is in the JSON).
_SHOWN = 6


def _value(value: Any) -> str:
    return (
        "(not set)"
        if value is None
        else short(value if not isinstance(value, str) else repr(value))
    )


def counts(diff: PlanDiff | StackDiff) -> str:
    parts = [f"{diff.count(op)} to {op}" for op in SYMBOLS if diff.count(op)]
    return ", ".join(parts) or "no changes"


def _shown(change: Change) -> tuple[list[Any], int]:
    if change.op in ("update", "replace"):
        return list(change.properties), 0
    return list(change.properties[:_SHOWN]), max(0, len(change.properties) - _SHOWN)


def _unchanged_line(diff: PlanDiff) -> str | None:
    quiet = [stack for stack in diff.stacks if not stack.changes]
    if not quiet:
        return None
    return "Unchanged: " + ", ".join(
        f"{stack.stack} ({stack.unchanged} resources)" for stack in quiet
    )


def summary(diff: PlanDiff) -> str:
    """The diff as text: changed stacks in detail, unchanged ones on one line, the totals."""
    lines = [
        f"Plan diff of {diff.environment!r}: base {diff.base[:12]} -> working tree "
        "(offline: mock runtime, no cloud, no state)",
        "",
    ]
    for stack in diff.stacks:
        if not stack.changes:
            continue
        lines.append(f"{stack.stack}: {counts(stack)}, {stack.unchanged} unchanged")
        for change in stack.changes:
            loss = f"  [{LOSS_NOTE}]" if change.loses_data else ""
            lines.append(
                f"  {SYMBOLS[change.op]:<2} {change.op:<7} {change.type}  {change.name}{loss}"
            )
            if change.replace_keys:
                lines.append(f"        replaced because {', '.join(change.replace_keys)} changed")
            properties, more = _shown(change)
            lines.extend(
                f"        {p.name}: {_value(p.old)} -> {_value(p.new)}" for p in properties
            )
            if more:
                lines.append(f"        ... and {more} more properties")
        lines.append("")
    unchanged = _unchanged_line(diff)
    if unchanged:
        lines.extend([unchanged, ""])
    losses = len(diff.data_losses)
    lines.append(f"Changes: {counts(diff)}.")
    if losses:
        lines.append(
            f"{losses} replacement(s) or deletion(s) of a resource that holds data: "
            "the deploy refuses them without --allow-delete."
        )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_value(value: Any) -> str:
    if value is None:
        return "*(not set)*"
    text = _cell(_value(value)).replace("`", "'")
    return f"`{text}`"


def _md_row(change: Change) -> str:
    op = MARKDOWN_OPS[change.op] + (" 🛑 holds data" if change.loses_data else "")
    properties, more = _shown(change)
    details = [f"**replaced by** {', '.join(f'`{k}`' for k in change.replace_keys)}"] * bool(
        change.replace_keys
    )
    details += [f"`{_cell(p.name)}`: {_md_value(p.old)} → {_md_value(p.new)}" for p in properties]
    if more:
        details.append(f"… and {more} more")
    return f"| {op} | `{change.name}` | `{change.type}` | {'<br>'.join(details)} |"


def markdown(diff: PlanDiff, full_plan: str | None = None, note: str | None = None) -> str:
    """The diff as GitHub-flavoured Markdown: `note` (the rules' verdict, say) after the
    counts, `full_plan` (Markdown) folded at the end."""
    lines = [
        f"## Changes to `{diff.environment}` against `{diff.base[:12]}`",
        "",
        "Offline diff of the plans at the base and at the head (mock runtime: no cloud, no "
        f"state), as `pulumi preview --diff` would list them: **{counts(diff)}**.",
    ]
    if note:
        lines.extend(["", note])
    if diff.data_losses:
        lines.extend(
            [
                "",
                f"🛑 **{len(diff.data_losses)} resource(s) that hold data would be replaced or "
                "deleted**: the deploy refuses this without `--allow-delete`.",
            ]
        )
    for stack in diff.stacks:
        if not stack.changes:
            continue
        lines.extend(
            [
                "",
                f"### `{stack.stack}`: {counts(stack)}, {stack.unchanged} unchanged",
                "",
                "| Change | Resource | Type | Properties (base → head) |",
                "|---|---|---|---|",
                *(_md_row(change) for change in stack.changes),
            ]
        )
    unchanged = _unchanged_line(diff)
    if unchanged:
        lines.extend(["", unchanged.replace("Unchanged:", "**Unchanged:**", 1)])
    if full_plan is not None:
        lines.extend(
            [
                "",
                "<details>",
                "<summary>The full plan of the head</summary>",
                "",
                full_plan.rstrip("\n"),
                "",
                "</details>",
            ]
        )
    return "\n".join(lines) + "\n"
