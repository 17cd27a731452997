"""The plan at a git revision: that revision's own code and programs, evaluated here, cached.

`invoke plan --base REF` compares the working tree's plan with REF's. REF's programs, its
`shared/` (topology, settings, naming) and its `program/` components all may differ from the
working tree's, so the base is planned by REF's own code: `git archive REF` is unpacked into a
temporary directory (removed afterwards) and REF's `orchestration.plan` writes its JSON plan
from there, as `python -m orchestration.plan --env E --json FILE --quiet` run in that tree
would.

It runs in this process, after the working tree's plan: the repository's own modules (every
top-level package or module the tree has: orchestration, shared, program, projects, ...) are
set aside, REF's are imported from the tree first on the path, and afterwards the working
tree's are put back. Only the third-party packages stay loaded, and importing pulumi and
pulumi_aws is most of a plan's time (README, Numbers): a subprocess would pay it again.

A revision's plan depends only on its files, so it is cached by tree hash under
`.tools/plan-cache/<tree sha>-<env>[-<project>].json` (git-ignored): comparing against the same
base again costs nothing but the working tree's plan.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestration.affected.git import AffectedError, Repository
from orchestration.plan.environment import PlanError
from shared.paths import REPO_ROOT

CACHE_DIR = REPO_ROOT / ".tools" / "plan-cache"
_GIT_TIMEOUT = 120.0
# REF's `main` returns 1 for a plan with mandatory findings: it still wrote the plan.
_PLANNED_CODES = (0, 1)


def resolve(repo: Path, ref: str) -> tuple[str, str]:
    """(commit, tree) that `ref` names in `repo`; PlanError saying what is wrong."""
    try:
        commit = Repository(repo).commit(ref, "--base")
    except AffectedError as error:
        raise PlanError(str(error)) from None
    tree = _git(repo, "rev-parse", f"{commit}^{{tree}}").decode("ascii").strip()
    return commit, tree


def _git(repo: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as error:
        raise PlanError(f"git {args[0]} failed: {error}") from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        raise PlanError(f"git {args[0]} failed: {lines[-1] if lines else '?'}")
    return result.stdout


def _top_level_names(tree: Path) -> set[str]:
    """The importable top-level names a source tree provides (packages and modules)."""
    names = {path.stem for path in tree.glob("*.py")}
    names.update(path.name for path in tree.iterdir() if (path / "__init__.py").is_file())
    return names


def _owned(name: str, roots: set[str]) -> bool:
    return name.split(".", 1)[0] in roots


@contextlib.contextmanager
def code_of(tree: Path) -> Iterator[None]:
    """Import the repository's modules from `tree` inside the block; the caller's afterwards.

    Modules of the same top-level names as the tree's are set aside (and put back after), so
    `import shared` inside the block reads `tree/shared` (whose paths derive from its own
    file, so the working directory does not matter and is left alone).
    """
    roots = _top_level_names(tree)
    saved = {name: module for name, module in sys.modules.items() if _owned(name, roots)}
    saved_path = list(sys.path)
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [name for name in sys.modules if _owned(name, roots)]:
            del sys.modules[name]
        sys.modules.update(saved)


class BasePlan:
    """The JSON plan of one environment at a revision: from the cache, or evaluated by the
    revision's own code."""

    def __init__(
        self,
        repo: Path,
        ref: str,
        environment: str,
        *,
        project: str | None = None,
        cache_dir: Path | None = CACHE_DIR,
    ) -> None:
        self.commit, self.tree = resolve(repo, ref)
        self.repo = repo
        self.environment = environment
        self.project = project
        suffix = f"-{project}" if project else ""
        self.cache_file = (
            cache_dir / f"{self.tree}-{environment}{suffix}.json" if cache_dir else None
        )

    @property
    def cached(self) -> bool:
        return self.cache_file is not None and self.cache_file.is_file()

    def result(self) -> dict[str, Any]:
        """The base's JSON plan; PlanError when the revision's code could not plan it."""
        if self.cache_file is not None and self.cached:
            return dict(json.loads(self.cache_file.read_text(encoding="utf-8")))
        with tempfile.TemporaryDirectory(prefix="plan-base-") as workdir:
            text = self._evaluate(Path(workdir))
        if self.cache_file is not None:
            self._store(text)
        return dict(json.loads(text))

    def _evaluate(self, workdir: Path) -> str:
        tree, plan_file = workdir / "tree", workdir / "plan.json"
        archive = _git(self.repo, "archive", "--format=tar", self.commit)
        with tarfile.open(fileobj=io.BytesIO(archive)) as files:
            # Our own archive of our own revision; the "data" filter where Python has it.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            files.extractall(tree, **safe)  # type: ignore[arg-type]  # noqa: S202
        arguments = ["--env", self.environment, "--json", str(plan_file), "--quiet"]
        arguments += ["--project", self.project] if self.project else []
        errors = io.StringIO()
        with (
            code_of(tree),
            contextlib.redirect_stderr(errors),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            try:
                from orchestration.plan.cli import main  # noqa: PLC0415 - REF's, from the tree

                code = main(arguments)
            except Exception as error:  # REF's code may fail in any way
                raise PlanError(self._failed(f"{type(error).__name__}: {error}")) from error
        if code not in _PLANNED_CODES or not plan_file.is_file():
            lines = errors.getvalue().strip().splitlines()
            raise PlanError(self._failed(f"exit {code}: {lines[-1] if lines else 'no message'}"))
        return plan_file.read_text(encoding="utf-8")

    def _failed(self, why: str) -> str:
        return f"the plan of {self.environment!r} at the base {self.commit[:12]} failed ({why})"

    def _store(self, text: str) -> None:
        """Write the cache entry atomically: a concurrent reader sees all of it or nothing."""
        assert self.cache_file is not None
        with contextlib.suppress(OSError):
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.cache_file.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.replace(self.cache_file)
