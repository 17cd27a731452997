"""Reading the repository's YAML files (settings, stack config): one reader, one set of messages.

Every failure is one line naming the file and what is wrong with it, raised as the caller's own
error type so each caller keeps its own way of reporting it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


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
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as fault:
        raise error(f"{path}: not valid YAML: {fault}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise error(f"{path}: must hold a mapping of names to values")
    return loaded
