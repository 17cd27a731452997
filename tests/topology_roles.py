"""The shipped projects by role, derived from shared.topology.TOPOLOGY.

Tests of orchestration logic take their projects from here instead of naming them, so a project
added to the topology does not break them; the shipped order itself is asserted once, in
tests/unit/test_topology.py.

- ROOT: the first project in deploy order; it has no producers.
- LEAF: the last project in deploy order; it has no consumers, and it reads (directly or not)
  from ROOT and MIDDLE.
- MIDDLE: a project that both reads from ROOT and is read by LEAF.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.topology import TOPOLOGY, Topology

ALL: tuple[str, ...] = TOPOLOGY.deploy_order()
TEARDOWN: tuple[str, ...] = TOPOLOGY.teardown_order()


def _roles(topology: Topology) -> tuple[str, str, str]:
    order = topology.deploy_order()
    root, leaf = order[0], order[-1]
    middles = [
        name
        for name in order
        if root in topology.all_producers(name) and name in topology.all_producers(leaf)
    ]
    if topology.all_producers(root) or topology.consumers(leaf) or not middles:
        raise AssertionError(
            "tests/topology_roles.py needs a chain root -> middle -> leaf in the topology"
        )
    return root, middles[0], leaf


ROOT, MIDDLE, LEAF = _roles(TOPOLOGY)


def stack(project: str, environment: str = "development") -> str:
    """The fully qualified stack name the engine doubles use."""
    return f"organization/{project}/{environment}"


def team(project: str) -> str:
    return TOPOLOGY.project(project).team


def deploy_order(selected: Iterable[str] | None = None) -> list[str]:
    return list(TOPOLOGY.deploy_order(selected))


def teardown_order(selected: Iterable[str] | None = None) -> list[str]:
    return list(TOPOLOGY.teardown_order(selected))


def level_of(project: str) -> int:
    """The index of the deploy level `project` is in."""
    for index, level in enumerate(TOPOLOGY.deploy_levels()):
        if project in level:
            return index
    raise KeyError(project)


def before(project: str) -> list[str]:
    """Projects in deploy levels earlier than `project`'s, in deploy order."""
    return [name for name in ALL if level_of(name) < level_of(project)]


def after(project: str) -> list[str]:
    """Projects in deploy levels later than `project`'s, in deploy order."""
    return [name for name in ALL if level_of(name) > level_of(project)]


def others(*projects: str) -> list[str]:
    """Every project but `projects`, in deploy order."""
    return [name for name in ALL if name not in projects]


def levels(names: Iterable[str]) -> list[list[str]]:
    """`names` cut into runs of one deploy level each, sorted: order within a level is free.

    Compare with DEPLOY_LEVELS or TEARDOWN_LEVELS to check an operation's order while projects
    of one level may run concurrently (with one-project levels, this is the order itself).
    """
    runs: list[tuple[int, list[str]]] = []
    for name in names:
        index = level_of(name)
        if runs and runs[-1][0] == index:
            runs[-1][1].append(name)
        else:
            runs.append((index, [name]))
    return [sorted(members) for _, members in runs]


DEPLOY_LEVELS: list[list[str]] = [sorted(level) for level in TOPOLOGY.deploy_levels()]
TEARDOWN_LEVELS: list[list[str]] = [sorted(level) for level in TOPOLOGY.teardown_levels()]


# A project name the topology does not use, for tests that add or refuse one.
UNUSED: str = next(name for name in ("queue", "inbox", "mailer") if name not in TOPOLOGY.names)
