"""README's table of projects, generated from the topology and each project's own docstring.

What a project creates is written by its team in `projects/<p>/__init__.py` (the docstring's
second paragraph, or its only one); its team and exports come from `shared/topology.py`. The
table sits between two marker comments in README.md, so the rest of the file stays prose.
"""

from __future__ import annotations

import ast

from shared.paths import PROJECTS_DIR, REPO_ROOT
from shared.topology import TOPOLOGY, Topology

README_FILE = REPO_ROOT / "README.md"
BEGIN = "<!-- projects: generated from shared/topology.py by `invoke generate` -->\n"
END = "<!-- end of projects -->\n"


def what_it_creates(project: str) -> str:
    """The second paragraph of the project's docstring (or its only one), as one line."""
    module = ast.parse((PROJECTS_DIR / project / "__init__.py").read_text(encoding="utf-8"))
    paragraphs = (ast.get_docstring(module) or "").split("\n\n")
    return " ".join(paragraphs[min(1, len(paragraphs) - 1)].split())


def table(topology: Topology = TOPOLOGY) -> str:
    """The markdown table: one row per project, in deploy order."""
    rows = ["| Project | Team | What it creates | Exports |", "|---|---|---|---|"]
    for name in topology.names:
        spec = topology.project(name)
        exports = ", ".join(f"`{key}`" for key in spec.exports) or "none yet"
        rows.append(f"| `projects/{name}` | {spec.team} | {what_it_creates(name)} | {exports} |")
    return "\n".join(rows) + "\n"


def render(current: str) -> str:
    """README.md's text with the table between the markers brought up to date."""
    head, begin, rest = current.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        raise ValueError(f"README.md lacks the markers {BEGIN.strip()} ... {END.strip()}")
    return head + BEGIN + table() + END + tail
