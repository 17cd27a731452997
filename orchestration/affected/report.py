"""`invoke affected`'s output: a short text for people, a JSON document for workflows."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from orchestration.affected.git import AffectedError
from orchestration.affected.rules import Affected, every_project, find_affected
from shared.output_target import OutputTargetError, parse_optional


def text(affected: Affected) -> str:
    """Affected projects in deploy order, per environment, then why (and what was ignored)."""
    if affected.everything:
        lines = [f"Every project at {affected.head[:12]} (--all), in deploy order:"]
        lines.extend(f"  {env}: {', '.join(names)}" for env, names in affected.environments.items())
        return "\n".join(lines)
    span = f"{affected.base[:12]}..{affected.head[:12]}"
    files = f"{len(affected.changed)} changed file{'s' if len(affected.changed) != 1 else ''}"
    if not affected.projects:
        lines = [f"No project is affected by the {files} in {span}."]
    else:
        lines = [f"Affected by the {files} in {span}, in deploy order:"]
        width = max(len(env) for env in affected.environments) + 1
        for env, projects in affected.environments.items():
            listed = ", ".join(projects) if projects else "nothing"
            lines.append(f"  {env + ':':<{width}} {listed}")
        lines.append("Why:")
        grouped: dict[tuple[str, str, tuple[str, ...] | None], list[str]] = {}
        for project, reasons in affected.reasons.items():
            for reason in reasons:
                key = (reason.path, reason.why, reason.environments)
                grouped.setdefault(key, []).append(project)
        for (path, why, environments), names in sorted(grouped.items(), key=_by_path):
            where = f" (in {', '.join(environments)})" if environments else ""
            lines.append(f"  {path} -> {', '.join(names)}{where}: {why}")
    if affected.unaffecting:
        lines.append("Affecting no project:")
        lines.extend(f"  {reason.path}: {reason.why}" for reason in affected.unaffecting)
    return "\n".join(lines)


def _by_path(item: tuple[tuple[str, str, tuple[str, ...] | None], list[str]]) -> str:
    return item[0][0]


def run_affected(
    base: str | None,
    head: str = "HEAD",
    *,
    everything: bool = False,
    json_path: str | None = None,
    repo_root: Path,
    out: TextIO | None = None,
) -> None:
    """Print what the change affects (or, with `everything`, every project).

    `json_path`: also write the JSON document there, or print only it for `-` (stdout).
    AffectedError (one message) when it cannot be told or the JSON cannot be written.
    """
    out = out or sys.stdout
    if everything == (base is not None):
        raise AffectedError("give either --base REF (what a change touches) or --all")
    try:
        json_target = parse_optional(json_path, "affected projects' JSON")
    except OutputTargetError as error:
        raise AffectedError(str(error)) from None
    affected = (
        every_project(repo_root, head) if base is None else find_affected(repo_root, base, head)
    )
    if json_target is not None:
        json_target.write(json.dumps(affected.to_json(), indent=2), out)
        if json_target.is_stdout:
            return
    print(text(affected), file=out)
    if json_target is not None:
        print(f"JSON written to {json_target.describe()}", file=out)
