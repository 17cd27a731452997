"""The topology contract at a commit, and what a change to it means for the projects.

Every program imports `shared/topology.py`, so by the import graph alone any edit to it would
redeploy everything. Most edits only change the declaration (a project's exports, what a consumer
requires): then only the projects whose entry changed are affected, plus the consumers of a
producer whose exports changed (their StackReferences read a different set of outputs). An edit
to the code around the declaration (the Topology class) still counts for every importer.

The module is loaded from the commit's text in a fresh namespace (it imports only the standard
library) and its declaration copied into the installed `Topology`, which validates it.
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.affected.git import AffectedError
from shared.topology import ProjectSpec, Topology

DECLARATION_NAME = "TOPOLOGY"


@dataclass(frozen=True)
class ContractChange:
    """Why one project is affected by a change of the declaration."""

    project: str
    why: str


def load_topology(source: str, where: str) -> Topology:
    """The topology `source` declares; AffectedError naming `where` if it cannot be loaded."""
    name = "_affected_topology"
    module = types.ModuleType(name)
    # dataclasses look the defining module up in sys.modules while building the classes.
    sys.modules[name] = module
    try:
        # Under "<where>", as Python names code that has no file: coverage then leaves it alone
        # instead of reporting a file "shared/topology.py at <sha>" that it cannot read.
        code = compile(source, f"<{where}>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - the repo's own code
        declared = module.__dict__[DECLARATION_NAME]
        return Topology(_copy(declared.project(project)) for project in declared.names)
    except Exception as error:  # whatever the code at that commit does wrong, say where
        raise AffectedError(f"{where} cannot be loaded: {error}") from error
    finally:
        del sys.modules[name]


def _copy(spec: Any) -> ProjectSpec:
    return ProjectSpec(
        name=spec.name,
        team=spec.team,
        description=spec.description,
        exports=tuple(spec.exports),
        requires={producer: tuple(outputs) for producer, outputs in spec.requires.items()},
    )


def declaration_only(old: str | None, new: str | None) -> bool:
    """True when the two sources differ only in the declaration and its string constants."""
    if old is None or new is None:
        return False
    try:
        return _without_declaration(old) == _without_declaration(new)
    except (SyntaxError, ValueError):
        return False


def _without_declaration(source: str) -> str:
    module = ast.parse(source)
    module.body = [
        statement
        for statement in module.body
        if not _is_declaration(statement) and not _is_docstring(statement)
    ]
    return ast.dump(module)


def _is_declaration(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Assign | ast.AnnAssign):
        return False
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    names = [target.id for target in targets if isinstance(target, ast.Name)]
    if DECLARATION_NAME in names:
        return True
    value = statement.value
    return isinstance(value, ast.Constant) and isinstance(value.value, str)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def contract_changes(old: Topology | None, new: Topology) -> Iterator[ContractChange]:
    """Projects of `new` whose declaration changed, and consumers of changed exports."""
    for name in new.names:
        spec = new.project(name)
        before = _spec(old, name)
        if before is None:
            yield ContractChange(name, "added to the topology contract")
            continue
        changes = _differences(before, spec)
        if changes:
            yield ContractChange(name, f"its topology contract entry changed ({changes})")
        exports = _set_change(before.exports, spec.exports)
        if exports:
            for consumer in new.consumers(name):
                yield ContractChange(consumer, f"reads {name}, whose exports changed ({exports})")


def _spec(topology: Topology | None, name: str) -> ProjectSpec | None:
    if topology is None or name not in topology.names:
        return None
    return topology.project(name)


def _differences(before: ProjectSpec, after: ProjectSpec) -> str:
    changes = []
    exports = _set_change(before.exports, after.exports)
    if exports:
        changes.append(f"exports {exports}")
    requires = _requires_change(before.requires, after.requires)
    if requires:
        changes.append(f"requires {requires}")
    for field in ("team", "description"):
        if getattr(before, field) != getattr(after, field):
            changes.append(field)
    return "; ".join(changes)


def _set_change(before: tuple[str, ...], after: tuple[str, ...]) -> str:
    added = [f"+{name}" for name in after if name not in before]
    removed = [f"-{name}" for name in before if name not in after]
    return ", ".join(added + removed)


def _requires_change(
    before: Mapping[str, tuple[str, ...]], after: Mapping[str, tuple[str, ...]]
) -> str:
    flat_before = tuple(f"{p}.{o}" for p, outputs in sorted(before.items()) for o in outputs)
    flat_after = tuple(f"{p}.{o}" for p, outputs in sorted(after.items()) for o in outputs)
    return _set_change(flat_before, flat_after)
