"""`.github/CODEOWNERS`, generated from the topology: who reviews which part of the repository.

Each project's directory (its program and its `Pulumi.<env>.yaml` stack settings) belongs to the
team `shared/topology.py` names for it; the parts every team depends on (`shared/`, `tasks.py`,
the security rules in `program/policy/` and `policy-pack/`, this file) belong to the platform
team, which also owns everything not listed. GitHub team handles are `@<organization>/<team>`:
the organization is `shared/github.py`'s. Regenerated with the other generated files
by `invoke generate` (`tooling.generated`).
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.github import GITHUB_ORGANIZATION
from shared.paths import REPO_ROOT
from shared.settings import known_environments
from shared.topology import TOPOLOGY, Topology

__all__ = ["GITHUB_ORGANIZATION", "handle", "render"]
PLATFORM_TEAM = "platform"
CODEOWNERS_FILE = REPO_ROOT / ".github" / "CODEOWNERS"
PLATFORM_PATHS = (
    "/shared/",
    "/tasks.py",
    "/program/policy/",
    "/policy-pack/",
    "/.github/CODEOWNERS",
)
_HEADER = """\
# Generated from shared/topology.py by `invoke generate`; do not edit by hand.
# A change to a team's project needs that team's review; the shared parts need the platform
# team's. GitHub applies the last matching line.
"""


def handle(team: str) -> str:
    """`@<organization>/<team>`."""
    return f"@{GITHUB_ORGANIZATION}/{team}"


def render(topology: Topology = TOPOLOGY, environments: Sequence[str] | None = None) -> str:
    """The CODEOWNERS text for `topology` and the environments' stack files."""
    envs = known_environments() if environments is None else environments
    rows: list[tuple[str, str]] = [("*", handle(PLATFORM_TEAM))]
    for name in topology.names:
        team = handle(topology.project(name).team)
        rows.append((f"/projects/{name}/", team))
        rows.extend((f"/projects/{name}/Pulumi.{env}.yaml", team) for env in envs)
    rows.extend((path, handle(PLATFORM_TEAM)) for path in PLATFORM_PATHS)
    width = max(len(path) for path, _ in rows)
    return _HEADER + "".join(f"{path:<{width}}  {owner}\n" for path, owner in rows)
