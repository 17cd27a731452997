"""The repository at two commits, read with git alone: no checkout, no working tree.

`invoke affected` must judge a change by the code as it is at `--head` (a new import added in
the change counts), and by the code at the base (a module the change deletes was still read
there), so both trees are read from git's object store rather than from the files on disk.
"""

from __future__ import annotations

import subprocess
from functools import cached_property
from pathlib import Path

_GIT_TIMEOUT = 120.0


class AffectedError(Exception):
    """The question cannot be answered: bad revisions, no repository, no git."""


class GitMissing(AffectedError):
    """git itself cannot be run (so nothing can be said about the repository)."""


class Repository:
    """A git repository, read only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            result = subprocess.run(
                ["git", "-C", str(self.root), *args],
                input=stdin,
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise GitMissing("git is not installed (or not on PATH): install git") from None
        except subprocess.TimeoutExpired:
            raise AffectedError(f"git {args[0]} took over {_GIT_TIMEOUT:.0f} s") from None
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise AffectedError(f"git {args[0]} failed: {message[-1] if message else '?'}")
        return result.stdout

    def commit(self, revision: str, flag: str) -> str:
        """The commit `revision` names; AffectedError saying which flag was wrong."""
        if not revision.strip() or revision.startswith("-"):
            raise AffectedError(f"{flag} {revision!r} is not a git revision")
        try:
            self._git("rev-parse", "--git-dir")
        except GitMissing:
            raise
        except AffectedError:
            raise AffectedError(f"{self.root} is not inside a git repository") from None
        try:
            return (
                self._git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
                .decode("ascii")
                .strip()
            )
        except AffectedError:
            raise AffectedError(
                f"{flag} {revision!r} is not a commit in this repository: give a branch, tag or "
                "commit that exists here (e.g. origin/main; in CI, fetch the history with "
                "actions/checkout's fetch-depth: 0)"
            ) from None

    def merge_base(self, base: str, head: str) -> str:
        """Where `head` branched from `base`: a pull request's changes are counted from there."""
        try:
            return self._git("merge-base", base, head).decode("ascii").strip()
        except AffectedError:
            raise AffectedError(
                f"{base[:12]} and {head[:12]} have no common history: compare a branch with "
                "the branch it was made from"
            ) from None

    def changed_paths(self, base: str, head: str) -> tuple[str, ...]:
        """Files added, modified or deleted between two commits (a rename counts as both)."""
        output = self._git("diff", "--name-only", "--no-renames", "-z", base, head)
        return tuple(sorted(path for path in output.decode().split("\0") if path))

    def tree(self, commit: str) -> Tree:
        """The files of `commit`."""
        return Tree(self, commit)


class Tree:
    """The files of one commit; contents are read on demand and cached."""

    def __init__(self, repository: Repository, commit: str) -> None:
        self.repository = repository
        self.commit = commit
        self._texts: dict[str, str | None] = {}

    @cached_property
    def paths(self) -> frozenset[str]:
        output = self.repository._git("ls-tree", "-r", "-z", "--name-only", self.commit)
        return frozenset(path for path in output.decode().split("\0") if path)

    def exists(self, path: str) -> bool:
        return path in self.paths

    def text(self, path: str) -> str | None:
        """The file's text; None if it does not exist at this commit or is not UTF-8 text."""
        if path not in self._texts:
            self.load(path)
        return self._texts[path]

    def load(self, *paths: str) -> None:
        """Read many files in one git call (`cat-file --batch`)."""
        wanted = [path for path in paths if path not in self._texts]
        present = [path for path in wanted if path in self.paths]
        for path in wanted:
            self._texts[path] = None
        if not present:
            return
        request = "".join(f"{self.commit}:{path}\n" for path in present).encode()
        output = self.repository._git("cat-file", "--batch", stdin=request)
        position = 0
        for path in present:
            header_end = output.index(b"\n", position)
            header = output[position:header_end].split()
            position = header_end + 1
            if len(header) < 3:  # "<name> missing": a submodule's commit, say
                continue
            size = int(header[2])
            content = output[position : position + size]
            position += size + 1  # the content is followed by a newline
            if header[1] == b"blob":
                try:
                    self._texts[path] = content.decode("utf-8")
                except UnicodeDecodeError:
                    self._texts[path] = None
