"""Reading the repository's YAML files (settings, stack config): one reader, one set of messages.

Every failure is one line naming the file and what is wrong with it, raised as the caller's own
error type so each caller keeps its own way of reporting it. A key written twice in one mapping
is refused (PyYAML would silently keep the last one: a `production: false` appended to an
environment file once switched production's protection off).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode


class DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice (a YAMLError, so callers' handlers catch it)."""


class UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key written twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor`: keys written beside it override the merged ones
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable):
                continue  # the base constructor refuses it with its own message
            if key in seen:
                raise DuplicateKeyError(
                    problem=f"duplicate key {key!r} on lines {seen[key]} and {line}: "
                    "PyYAML would keep the last silently; write each key once"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, refusing duplicate keys (DuplicateKeyError, a yaml.YAMLError)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def read_mapping(
    path: Path, *, error: type[Exception] = ValueError, missing_ok: bool = False
) -> dict[str, Any]:
    """The mapping a YAML file holds ({} for an empty file); `error(message)` on any fault.

    `missing_ok`: a file that does not exist reads as {} instead of failing.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise error(f"{path} does not exist") from None
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a YAML file") from None
    except UnicodeDecodeError as fault:
        raise error(f"{path} is not UTF-8 text (byte {fault.start}): save it as UTF-8") from None
    except OSError as fault:
        raise error(f"{path} cannot be read: {fault.strerror or fault}") from None
    try:
        loaded = load_yaml(text)
    except DuplicateKeyError as fault:
        raise error(f"{path}: {fault.problem}") from None
    except yaml.YAMLError as fault:
        raise error(f"{path}: not valid YAML: {_one_line(fault)}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise error(f"{path}: must hold a mapping of names to values")
    return loaded


def _one_line(fault: yaml.YAMLError) -> str:
    """PyYAML's message (several lines, with a caret under the spot) as one line."""
    if isinstance(fault, yaml.MarkedYAMLError) and fault.problem_mark is not None:
        mark = fault.problem_mark
        return f"{fault.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(fault).split())
