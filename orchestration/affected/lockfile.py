"""Which locked packages the deployed code runs with changed: the lock file read as data.

A new `pulumi-aws` can change what every program registers, so a change to the version of a
package in the runtime dependency closure of this project affects every project. Development
tools (pytest, ruff...) are in the `dev` group, outside that closure, and affect nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

ROOT_SOURCES = ("editable", "virtual")


def runtime_versions(lock_text: str | None) -> dict[str, str]:
    """name -> version of every package the project's own dependencies pull in."""
    if lock_text is None:
        return {}
    try:
        document = tomllib.loads(lock_text)
    except tomllib.TOMLDecodeError:
        return {}
    packages = {entry["name"]: entry for entry in document.get("package", []) if "name" in entry}
    roots = [
        entry
        for entry in packages.values()
        if any(source in entry.get("source", {}) for source in ROOT_SOURCES)
    ]
    found: dict[str, str] = {}
    pending = [dependency for root in roots for dependency in root.get("dependencies", [])]
    while pending:
        dependency = pending.pop()
        entry = packages.get(dependency.get("name", ""))
        if entry is None or entry["name"] in found:
            continue
        found[entry["name"]] = str(entry.get("version", "?"))
        pending.extend(entry.get("dependencies", []))
        pending.extend(_extras(entry, dependency.get("extra", ())))
    return found


def _extras(entry: Mapping[str, Any], extras: Iterable[str]) -> list[Mapping[str, Any]]:
    optional = entry.get("optional-dependencies", {})
    return [dependency for extra in extras for dependency in optional.get(extra, [])]


def runtime_changes(old_text: str | None, new_text: str | None) -> list[str]:
    """'name old -> new' for each runtime package added, removed or moved to another version."""
    old, new = runtime_versions(old_text), runtime_versions(new_text)
    return [
        f"{name} {old.get(name, 'absent')} -> {new.get(name, 'absent')}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]
