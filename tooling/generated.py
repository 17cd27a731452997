"""The files generated from the topology and the environments, written or checked together.

`invoke generate` writes them; `invoke generate --check` (and a unit test) fails when a committed
one is out of date, naming it. A new project or environment changes them all in one command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from shared.paths import REPO_ROOT
from tooling import codeowners, deploy_workflow, readme_projects, service_authorization

# repository path -> the text it must hold, given the text it holds (None: no such file)
GENERATED: tuple[tuple[str, Callable[[str | None], str]], ...] = (
    (".github/CODEOWNERS", lambda current: codeowners.render()),
    (".github/workflows/deploy.yml", lambda current: deploy_workflow.render()),
    ("README.md", lambda current: readme_projects.render(current or "")),
    (
        "orchestration/roles/service_authorization.json",
        lambda current: service_authorization.render(),
    ),
)


def main(arguments: Sequence[str], root: Path = REPO_ROOT) -> int:
    """Write every generated file (or with `--check`, compare); the exit code."""
    stale = []
    for relative, render in GENERATED:
        target = root / relative
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        try:
            expected = render(current)
        except ValueError as error:
            print(f"{relative}: {error}", file=sys.stderr)
            return 1
        if current == expected:
            continue
        if "--check" in arguments:
            stale.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(expected, encoding="utf-8")
        print(f"wrote {relative}")
    if stale:
        print(
            f"out of date with shared/topology.py and shared/environments/: {', '.join(stale)}; "
            "run `invoke generate`",
            file=sys.stderr,
        )
        return 1
    print("generated files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
