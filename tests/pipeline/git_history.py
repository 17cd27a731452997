"""Small git histories for the `invoke affected` tests: this repository's files, then a change.

A session-wide template repository holds one commit of the repository's tracked files (as they
are in the working tree); each test clones it and commits its own change on top.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_IDENTITY = ("-c", "user.name=test", "-c", "user.email=test@example.com")


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *_IDENTITY, *args], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def make_template(target: Path) -> Path:
    """A repository with one commit: the files of this repository's working tree.

    Tracked files and new ones git does not ignore: a project just added and not committed yet
    is in the topology the tests import, so it must be in the copy too.
    """
    tracked = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / name)
    git(target, "init", "--quiet", "--initial-branch=main")
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "-m", "base")
    return target


class History:
    """A clone of the template in which a test commits changes."""

    def __init__(self, template: Path, path: Path) -> None:
        subprocess.run(
            ["git", "clone", "--quiet", str(template), str(path)], capture_output=True, check=True
        )
        self.path = path

    def read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def commit(self, changes: Mapping[str, str | None], message: str = "change") -> str:
        """Write (or, for None, delete) files and commit them; the new commit's id."""
        for name, content in changes.items():
            target = self.path / name
            if content is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def edit(self, name: str, old: str, new: str) -> str:
        """`name`'s text with `old` (which must be there) replaced by `new`."""
        text = self.read(name)
        assert old in text, f"{old!r} is not in {name}"
        return text.replace(old, new, 1)
