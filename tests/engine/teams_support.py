"""Several teams' machines for the engine tier: clones of the repo that share only S3 and KMS.

`make_origin` copies the repository's files (as they are in the working tree) into a new git
repository whose development environment declares `state_backend: s3` and
`secrets_provider: awskms` (the team's committed declaration); each `Machine` is a `git clone`
of it with its own PULUMI_HOME (holding the TEST-ONLY AWS stand-in) and its own `.pulumi-state/`
and `.tools/`, and runs the real tasks as a user would: `python -m invoke ...` in the clone,
with the clone's own code on PYTHONPATH. What the machines share is what teams share: one
account of moto's server (`--endpoint`): S3 and KMS for state, and what the stand-in deploys. The
Python virtualenv is linked in (a tool, not state).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.commands import REPO_ROOT
from tests.engine.emulated_account import AccountKeys
from tests.engine.engine_support import engine_environment
from tests.engine.standin_aws.install import install

ENVIRONMENT = "development"
DECLARATION = (
    "# The team's shared state (engine tier): the derived S3 bucket and KMS key.\n"
    "state_backend: s3\n"
    "secrets_provider: awskms\n"
)
TASK_TIMEOUT = 300
_GIT = ("git", "-c", "user.name=engine-tests", "-c", "user.email=engine-tests@example.com")
# What a clone must not inherit from the shell that runs the tests.
_LOCAL_STATE_VARIABLES = (
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "WEBAPP_SECRETS_PROVIDER",
)


def make_origin(destination: Path, *, declare: bool = True) -> Path:
    """A git repository of the working tree's files; `declare`: with the S3/KMS declaration."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = REPO_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if declare:
        declare_shared_state(destination)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=destination, check=True)
    subprocess.run(["git", "add", "-A"], cwd=destination, check=True)
    subprocess.run([*_GIT, "commit", "-qm", "team repository"], cwd=destination, check=True)
    return destination


def declare_shared_state(root: Path) -> None:
    """Add the S3/KMS declaration to the development environment file under `root`."""
    environment = root / "shared" / "environments" / f"{ENVIRONMENT}.yaml"
    environment.write_text(environment.read_text() + DECLARATION)


@dataclass(frozen=True)
class Machine:
    """One team's clone, PULUMI_HOME and shell environment."""

    name: str
    root: Path
    home: Path
    env: Mapping[str, str]
    endpoint: str

    def invoke(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """`python -m invoke <arguments> --endpoint <moto>` in the clone; waits for it."""
        return subprocess.run(
            self.command(arguments),
            cwd=self.root,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=TASK_TIMEOUT,
            check=False,
        )

    def start(self, *arguments: str) -> subprocess.Popen[str]:
        """The same, started in the background (output to pipes)."""
        return subprocess.Popen(
            self.command(arguments),
            cwd=self.root,
            env=dict(self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def command(self, arguments: Sequence[str]) -> list[str]:
        return [sys.executable, "-m", "invoke", *arguments, "--endpoint", self.endpoint]

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace the one occurrence of `old` in this clone's file `relative`."""
        path = self.root / relative
        text = path.read_text()
        if text.count(old) != 1:
            raise AssertionError(f"{relative}: expected {old!r} once; update the test's edit")
        path.write_text(text.replace(old, new))

    def append(self, relative: str, text: str) -> None:
        """A local change of this team's working copy (not pushed anywhere)."""
        path = self.root / relative
        path.write_text(path.read_text() + text)


def clone(
    origin: Path,
    destination: Path,
    *,
    name: str,
    bin_dir: Path,
    endpoint: str,
    keys: AccountKeys,
    faults_file: Path,
    providers: Path | None = None,
) -> Machine:
    """A fresh machine: `git clone` of `origin`, a PULUMI_HOME with the stand-in (served by
    the daemon at `providers`, when given), no state, and the shell keys of the emulated
    account every machine shares (`keys`)."""
    subprocess.run(["git", "clone", "-q", str(origin), str(destination)], check=True)
    (destination / ".venv").symlink_to(REPO_ROOT / ".venv", target_is_directory=True)
    home = destination.parent / f"{name}-pulumi-home"
    install(home, daemon=providers)
    base = engine_environment(
        os.environ,
        home=home,
        backend_dir=destination,  # replaced below: the clone uses its declaration
        bin_dir=bin_dir,
        endpoint=endpoint,
        keys=keys,
        faults_file=faults_file,
    )
    env = {key: value for key, value in base.items() if key not in _LOCAL_STATE_VARIABLES}
    # The clone's own code, for the tasks and for the programs the engine runs.
    env.update(PYTHONPATH=str(destination))
    return Machine(name=name, root=destination, home=home, env=env, endpoint=endpoint)


def drop_tls_policy_for_moto(s3: Any, bucket: str) -> None:
    """Remove the bootstrapped TLS-only bucket policy, for moto's sake only.

    moto evaluates bucket policies without their conditions, so the statement "Deny s3:* when
    aws:SecureTransport is false" denies every object request, even one made over TLS (AWS
    applies the condition). tests/state/test_bootstrap.py reads the policy back; the engine tier
    needs the bucket usable over the emulator's plain HTTP.
    """
    s3.delete_bucket_policy(Bucket=bucket)
