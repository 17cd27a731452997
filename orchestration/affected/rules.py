"""Which projects, in which environments, a change between two commits affects, and why.

Each changed file is judged by the first rule that applies:
1. a project's directory: its `Pulumi.<env>.yaml` -> that project in that environment (unless
   only comments changed); anything else there -> that project;
2. an environment file or the common config -> every project, in each environment whose merged
   settings really changed;
3. the policy pack's directory -> every project (the pack gates every deploy);
4. the topology contract, when only its declaration changed -> the projects whose entry changed
   and the consumers of a producer whose exports changed (contract.py);
5. a file a program reads (its import graph at the base or at the head, imports.py) -> that
   project; a file the policy pack reads (the rules) -> every project;
6. the lock file, when a runtime dependency's version changed -> every project;
7. anything else (documentation, tests, CI, the orchestration code) -> nothing.
A Python file whose syntax tree did not change (comments, formatting) affects nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

import yaml

from orchestration.affected import contract, imports, lockfile
from orchestration.affected.git import AffectedError, Repository, Tree
from shared import settings as settings_module
from shared import topology as topology_module
from shared.paths import PROJECTS_DIR, REPO_ROOT
from shared.topology import Topology
from shared.yaml_files import load_yaml


def _relative(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


@dataclass(frozen=True)
class Layout:
    """Where the rules look, relative to the repository root."""

    projects_dir: str = _relative(PROJECTS_DIR)
    environments_dir: str = _relative(settings_module.ENVIRONMENTS_DIR)
    common_config: str = _relative(settings_module.COMMON_FILE)
    topology: str = _relative(Path(topology_module.__file__))
    # The CrossGuard pack `invoke preview/deploy` run (orchestration.commands' policy pack dir).
    policy_pack_dir: str = "policy-pack"
    lock_file: str = "uv.lock"
    documentation_suffixes: tuple[str, ...] = (".md", ".rst")

    def entry(self, project: str) -> str:
        return f"{self.projects_dir}/{project}/__main__.py"

    @property
    def policy_pack_entry(self) -> str:
        return f"{self.policy_pack_dir}/__main__.py"


@dataclass(frozen=True)
class Reason:
    """One changed file and what it does to a project (or, for `unaffecting`, why nothing)."""

    path: str
    why: str
    # None: every environment.
    environments: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "why": self.why, "environments": self.environments}


@dataclass(frozen=True)
class Affected:
    """The answer: affected projects per environment, in deploy order, with the reasons."""

    base: str
    head: str
    changed: tuple[str, ...]
    environments: Mapping[str, tuple[str, ...]]
    reasons: Mapping[str, tuple[Reason, ...]]
    unaffecting: tuple[Reason, ...]
    deploy_order: tuple[str, ...] = field(default=())
    # True for `--all`: every project asked for, not derived from a change.
    everything: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "environments", MappingProxyType(dict(self.environments)))
        object.__setattr__(self, "reasons", MappingProxyType(dict(self.reasons)))

    @property
    def projects(self) -> tuple[str, ...]:
        """Every affected project, in deploy order."""
        chosen = {project for projects in self.environments.values() for project in projects}
        return tuple(project for project in self.deploy_order if project in chosen)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "changed": list(self.changed),
            "projects": list(self.projects),
            "environments": {env: list(projects) for env, projects in self.environments.items()},
            "reasons": {
                project: [reason.to_json() for reason in reasons]
                for project, reasons in self.reasons.items()
            },
            "unaffecting": [reason.to_json() for reason in self.unaffecting],
            "all": self.everything,
        }


def find_affected(
    repo_root: Path, base: str, head: str = "HEAD", layout: Layout | None = None
) -> Affected:
    """What the change from `base` (its merge base with `head`) to `head` affects."""
    layout = layout or Layout()
    repository = Repository(repo_root)
    head_commit = repository.commit(head, "--head")
    base_commit = repository.merge_base(repository.commit(base, "--base"), head_commit)
    changed = repository.changed_paths(base_commit, head_commit)
    judge = _Judge(layout, repository.tree(base_commit), repository.tree(head_commit))
    reasons: dict[str, list[Reason]] = {}
    unaffecting = []
    for path in changed:
        found, why_nothing = judge.judge(path)
        for project, reason in found:
            reasons.setdefault(project, []).append(reason)
        if not found:
            unaffecting.append(Reason(path, why_nothing))
    order = judge.topology.deploy_order()
    environments = {
        env: tuple(
            project
            for project in order
            if any(
                reason.environments is None or env in reason.environments
                for reason in reasons.get(project, ())
            )
        )
        for env in judge.environments
    }
    return Affected(
        base=base_commit,
        head=head_commit,
        changed=changed,
        environments=environments,
        reasons={project: tuple(reasons[project]) for project in order if project in reasons},
        unaffecting=tuple(unaffecting),
        deploy_order=order,
    )


# What a rule says about a path: None (not its business), or the projects it affects with the
# reasons, and why nothing when that list is empty.
Verdict = tuple[list[tuple[str, Reason]], str] | None


def every_project(repo_root: Path, head: str = "HEAD", layout: Layout | None = None) -> Affected:
    """Every project in every environment of `head` (`--all`: a first deploy, a redeploy)."""
    layout = layout or Layout()
    repository = Repository(repo_root)
    head_commit = repository.commit(head, "--head")
    tree = repository.tree(head_commit)
    order = _topology_at(tree, layout).deploy_order()
    return Affected(
        base="",
        head=head_commit,
        changed=(),
        environments=dict.fromkeys(_environments(tree, layout), order),
        reasons={},
        unaffecting=(),
        deploy_order=order,
        everything=True,
    )


def _topology_at(tree: Tree, layout: Layout) -> Topology:
    source = tree.text(layout.topology)
    if source is None:
        raise AffectedError(f"{layout.topology} is missing at {tree.commit[:12]}")
    return contract.load_topology(source, f"{layout.topology} at {tree.commit[:12]}")


def _environments(tree: Tree, layout: Layout) -> tuple[str, ...]:
    directory = PurePosixPath(layout.environments_dir)
    return tuple(
        sorted(
            PurePosixPath(path).stem
            for path in tree.paths
            if PurePosixPath(path).parent == directory and path.endswith(".yaml")
        )
    )


class _Judge:
    """The rules, applied to one changed path at a time."""

    def __init__(self, layout: Layout, old: Tree, new: Tree) -> None:
        self.layout = layout
        self.old = old
        self.new = new
        self.topology = _topology_at(new, layout)
        self.environments = _environments(new, layout)
        self.reads = {
            project: imports.files_read(old, layout.entry(project))
            | imports.files_read(new, layout.entry(project))
            for project in self.topology.names
        }
        entry = layout.policy_pack_entry
        self.pack_reads = imports.files_read(old, entry) | imports.files_read(new, entry)

    def judge(self, path: str) -> tuple[list[tuple[str, Reason]], str]:
        """The projects `path`'s change affects with the reasons, or why it affects none."""
        if path.endswith(".py") and imports.same_code(self.old.text(path), self.new.text(path)):
            return [], "comments or formatting only"
        rules = (
            self._project_directory,
            self._settings,
            self._policy_pack,
            self._contract,
            self._read_by_programs,
            self._lock_file,
        )
        for rule in rules:
            verdict = rule(path)
            if verdict is not None:
                return verdict
        if path.endswith(self.layout.documentation_suffixes):
            return [], "documentation"
        return [], "not read by any program or the policy pack"

    def _everyone(self, reason: Reason) -> list[tuple[str, Reason]]:
        return [(project, reason) for project in self.topology.names]

    def _project_directory(self, path: str) -> Verdict:
        parts = PurePosixPath(path).parts
        prefix = PurePosixPath(self.layout.projects_dir).parts
        if parts[: len(prefix)] != prefix or len(parts) < len(prefix) + 2:
            return None
        project, name = parts[len(prefix)], parts[-1]
        if project not in self.topology.names:
            return [], f"{project!r} is not a project of the topology contract"
        if path.endswith(self.layout.documentation_suffixes):
            return [], "documentation"
        if len(parts) == len(prefix) + 2 and name.startswith("Pulumi.") and name.endswith(".yaml"):
            return self._pulumi_file(project, path, name.removeprefix("Pulumi.")[: -len(".yaml")])
        return [(project, Reason(path, "in its project directory"))], ""

    def _pulumi_file(self, project: str, path: str, stack: str) -> Verdict:
        """`Pulumi.yaml` (stack ''), or `Pulumi.<stack>.yaml`, one environment's settings."""
        if stack and stack not in self.environments:
            return [], f"no environment {stack!r} in {self.layout.environments_dir}/"
        if self._same_yaml(path):
            return [], "comments or formatting only"
        if not stack:
            return [(project, Reason(path, "its project file"))], ""
        return [(project, Reason(path, f"its {stack} stack configuration", (stack,)))], ""

    def _settings(self, path: str) -> Verdict:
        layout = self.layout
        if path != layout.common_config and PurePosixPath(path).parent != PurePosixPath(
            layout.environments_dir
        ):
            return None
        found = []
        for env in self.environments:
            keys = _changed_keys(self._merged(self.old, env), self._merged(self.new, env))
            if keys:
                why = f"changes the {env} settings ({', '.join(keys)})"
                found.extend(self._everyone(Reason(path, why, (env,))))
        return found, "no environment's settings changed"

    def _merged(self, tree: Tree, env: str) -> dict[str, Any] | None:
        common = _yaml(tree.text(self.layout.common_config))
        own = _yaml(tree.text(f"{self.layout.environments_dir}/{env}.yaml"))
        if common is None or own is None:
            return None
        return {**common, **own}

    def _policy_pack(self, path: str) -> Verdict:
        if not path.startswith(f"{self.layout.policy_pack_dir}/"):
            return None
        if path.endswith(self.layout.documentation_suffixes):
            return [], "documentation"
        return self._everyone(Reason(path, "in the policy pack, which gates every deploy")), ""

    def _contract(self, path: str) -> Verdict:
        if path != self.layout.topology:
            return None
        old_source, new_source = self.old.text(path), self.new.text(path)
        if old_source is None or not contract.declaration_only(old_source, new_source):
            return None  # the code changed: judged as a module the programs import
        try:
            old = contract.load_topology(old_source, f"{path} at {self.old.commit[:12]}")
        except AffectedError:
            old = None
        found = [
            (change.project, Reason(path, change.why))
            for change in contract.contract_changes(old, self.topology)
        ]
        return found, "no project's contract entry changed"

    def _read_by_programs(self, path: str) -> Verdict:
        if path in self.pack_reads:
            why = "read by the policy pack, which gates every deploy"
            return self._everyone(Reason(path, why)), ""
        found = [
            (project, Reason(path, "read by its program"))
            for project, read in self.reads.items()
            if path in read
        ]
        return (found, "") if found else None

    def _lock_file(self, path: str) -> Verdict:
        if path != self.layout.lock_file:
            return None
        changes = lockfile.runtime_changes(self.old.text(path), self.new.text(path))
        if not changes:
            return [], "no runtime dependency changed (development tools only)"
        why = f"runtime dependencies changed: {', '.join(changes)}"
        return self._everyone(Reason(path, why)), ""

    def _same_yaml(self, path: str) -> bool:
        old, new = _yaml(self.old.text(path)), _yaml(self.new.text(path))
        return old is not None and old == new


def _yaml(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        loaded = load_yaml(text)
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else ({} if loaded is None else None)


def _changed_keys(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Sequence[str]:
    if old is None or new is None:
        return ["the file"] if old != new else []
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
