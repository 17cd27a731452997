"""The plan at a git revision: that revision's own code, evaluated in a subprocess, cached.

`invoke plan --base REF` compares the working tree's plan with REF's. REF's programs, its
`shared/` (topology, settings, naming) and its `program/` components all differ from the
working tree's, so the base is planned by REF's own code: `git archive REF` is unpacked into a
temporary directory and `python -m orchestration.plan --env E --json FILE` runs there (REF's
modules first on the path), while the working tree is planned in this process. The two run at
the same time. A revision's plan depends only on its files, so it is cached by tree hash under
`.tools/plan-cache/<tree sha>-<env>[-<project>].json` (git-ignored): comparing against the same
base again costs nothing but the working tree's plan.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

from orchestration.affected.git import AffectedError, Repository
from orchestration.plan.environment import PlanError
from shared.paths import REPO_ROOT

CACHE_DIR = REPO_ROOT / ".tools" / "plan-cache"
_GIT_TIMEOUT = 120.0
_PLAN_TIMEOUT = 600.0
# `python -m orchestration.plan` exits 1 for a plan with mandatory findings: it still wrote it.
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


class BasePlan:
    """The JSON plan of one environment at a revision: from the cache, or being evaluated.

    `start()` returns at once (the evaluation runs in a subprocess); `result()` waits for it.
    Use as a context manager: the temporary tree is removed, an unfinished subprocess stopped.
    """

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
        self.from_cache = False
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> BasePlan:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> BasePlan:
        """Begin evaluating the base (unless the cache holds it)."""
        if self.cache_file is not None and self.cache_file.is_file():
            self.from_cache = True
            return self
        self._workdir = Path(tempfile.mkdtemp(prefix="plan-base-"))
        tree = self._workdir / "tree"
        archive = _git(self.repo, "archive", "--format=tar", self.commit)
        with tarfile.open(fileobj=io.BytesIO(archive)) as files:
            # Our own archive of our own revision; the "data" filter where Python has it.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            files.extractall(tree, **safe)  # type: ignore[arg-type]  # noqa: S202
        command = [sys.executable, "-m", "orchestration.plan", "--env", self.environment]
        command += ["--project", self.project] if self.project else []
        command += ["--json", str(self._workdir / "plan.json"), "--quiet"]
        environ = {key: value for key, value in os.environ.items() if key != "PYTHONSAFEPATH"}
        environ["PYTHONPATH"] = str(tree)
        self._stderr = (self._workdir / "stderr").open("w+b")
        self._process = subprocess.Popen(
            command,
            cwd=tree,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        return self

    def result(self) -> dict[str, Any]:
        """The base's JSON plan; PlanError when the revision's code could not plan it."""
        if self.cache_file is not None and self.from_cache:
            return dict(json.loads(self.cache_file.read_text(encoding="utf-8")))
        if self._process is None or self._workdir is None or self._stderr is None:
            raise RuntimeError("BasePlan.result() before start()")
        try:
            code = self._process.wait(timeout=_PLAN_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise PlanError(
                f"the plan at {self.commit[:12]} took over {_PLAN_TIMEOUT:.0f} s"
            ) from None
        plan_file = self._workdir / "plan.json"
        if code not in _PLANNED_CODES or not plan_file.is_file():
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
            raise PlanError(
                f"the plan of {self.environment!r} at the base {self.commit[:12]} failed "
                f"(exit {code}): {lines[-1] if lines else 'no message'}"
            )
        text = plan_file.read_text(encoding="utf-8")
        if self.cache_file is not None:
            self._store(text)
        return dict(json.loads(text))

    def _store(self, text: str) -> None:
        """Write the cache entry atomically: a concurrent reader sees all of it or nothing."""
        assert self.cache_file is not None
        with contextlib.suppress(OSError):
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.cache_file.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.replace(self.cache_file)

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._stderr is not None:
            self._stderr.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
