"""Which files a program reads: its import graph, followed from its entry file, per commit.

Read from the code with `ast`, never from a hand-kept table, so a module a change newly imports
counts at once. What counts as read by a program:
- every module it imports, directly or transitively, and the packages around them (importing
  `program.components.kms_key` runs `program/__init__.py` and `program/components/__init__.py`);
- `importlib.import_module("literal")`;
- a file next to a read module that the module names in a string literal, e.g.
  `Path(__file__).with_name("app.py")`: data a program ships (the web app in its user data).
Imports under `if TYPE_CHECKING:` are skipped: they never run. Modules are found the way the
program finds them: first in the project's own directory (Pulumi runs it there), then from the
repository root, where `shared`, `program` and `orchestration` are installed from.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from orchestration.affected.git import Tree


def same_code(old: str | None, new: str | None) -> bool:
    """True when two Python sources differ in comments or formatting only."""
    if old is None or new is None:
        return False
    try:
        return ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
    except (SyntaxError, ValueError):
        return False


def files_read(tree: Tree, entry: str) -> frozenset[str]:
    """Every file of `tree` the program starting at `entry` reads (entry included)."""
    if not tree.exists(entry):
        return frozenset()
    search_dirs = (str(PurePosixPath(entry).parent), "")
    tree.load(*(path for path in tree.paths if path.endswith(".py")))
    found = {entry}
    pending = [entry]
    while pending:
        path = pending.pop()
        for dependency in _dependencies(tree, path, search_dirs):
            if dependency not in found:
                found.add(dependency)
                if dependency.endswith(".py"):
                    pending.append(dependency)
    return frozenset(found)


def _dependencies(tree: Tree, path: str, search_dirs: tuple[str, ...]) -> Iterator[str]:
    source = tree.text(path)
    if source is None or not path.endswith(".py"):
        return
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return  # broken code at this commit: its tests fail; it imports nothing we can know
    package = _package_of(path)
    directory = str(PurePosixPath(path).parent)
    for node in _runtime_nodes(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _module_files(tree, alias.name, search_dirs)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if base is None:
                continue
            yield from _module_files(tree, base, search_dirs)
            for alias in node.names:
                yield from _module_files(tree, f"{base}.{alias.name}", search_dirs, parents=False)
        elif isinstance(node, ast.Call) and _is_import_module(node):
            yield from _module_files(tree, node.args[0].value, search_dirs)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            sibling = f"{directory}/{node.value}" if directory not in ("", ".") else node.value
            if "/" not in node.value and sibling != path and tree.exists(sibling):
                yield sibling


def _runtime_nodes(module: ast.Module) -> Iterator[ast.AST]:
    """Every node, except the bodies of `if TYPE_CHECKING:` blocks."""
    pending: list[ast.AST] = [module]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _is_import_module(call: ast.Call) -> bool:
    function = call.func
    named = (isinstance(function, ast.Attribute) and function.attr == "import_module") or (
        isinstance(function, ast.Name) and function.id == "import_module"
    )
    return (
        named
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    )


def _package_of(path: str) -> str:
    """The dotted package a file belongs to ('' at the top level or in a project directory)."""
    parts = PurePosixPath(path).with_suffix("").parts
    package = parts[:-1]
    return ".".join(package)


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    if node.level == 0:
        return node.module
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    anchor = parts[: len(parts) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])]) or None


def _module_files(
    tree: Tree, dotted: str, search_dirs: Iterable[str], *, parents: bool = True
) -> Iterator[str]:
    """The files importing `dotted` runs: its module and, with `parents`, its packages' inits.

    A name that is no module of this tree (the standard library, pulumi, a function imported
    from a module) yields nothing.
    """
    parts = dotted.split(".")
    for directory in search_dirs:
        prefix = f"{directory}/" if directory else ""
        if not _find(tree, prefix + parts[0]):
            continue
        depths = range(1, len(parts) + 1) if parents else (len(parts),)
        for depth in depths:
            found = _find(tree, prefix + "/".join(parts[:depth]))
            if found:
                yield found
        return


def _find(tree: Tree, stem: str) -> str | None:
    for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
        if tree.exists(candidate):
            return candidate
    return None
