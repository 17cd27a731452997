"""Is the offline plan cheap? Compare it with merely importing the pulumi_aws modules it uses.

Both are measured the same way, in fresh interpreters (so neither benefits from the other's
imports), alternating, several times; the medians are compared. pulumi_aws imports its
service modules lazily, so the baseline touches each module to really load it, exactly as a
program's first `aws.s3.Bucket` does.
"""

from __future__ import annotations

import json
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from orchestration.plan.cli import PlanError
from shared.paths import REPO_ROOT
from shared.settings import SettingsError, load_settings

TARGET_RATIO = 1.5


@dataclass(frozen=True)
class Timing:
    """Medians of both measurements (seconds) and what was run."""

    environment: str
    modules: tuple[str, ...]
    import_seconds: tuple[float, ...]
    plan_seconds: tuple[float, ...]
    import_command: tuple[str, ...]
    plan_command: tuple[str, ...]

    @property
    def import_median(self) -> float:
        return statistics.median(self.import_seconds)

    @property
    def plan_median(self) -> float:
        return statistics.median(self.plan_seconds)

    @property
    def ratio(self) -> float:
        return self.plan_median / self.import_median

    def report(self) -> str:
        def runs(values: Sequence[float]) -> str:
            return ", ".join(f"{v:.2f}" for v in values)

        verdict = "within" if self.ratio <= TARGET_RATIO else "OVER"
        return "\n".join(
            [
                f"Timing of the offline plan of {self.environment!r} "
                f"({len(self.plan_seconds)} runs each, fresh interpreters, medians):",
                f"  import only : {self.import_median:.2f}s  [{runs(self.import_seconds)}]",
                f"      {shlex.join(self.import_command)}",
                f"  whole plan  : {self.plan_median:.2f}s  [{runs(self.plan_seconds)}]",
                f"      {shlex.join(self.plan_command)}",
                f"  ratio       : {self.ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)",
                f"  modules     : {', '.join(self.modules)}",
            ]
        )


def import_command(modules: Sequence[str]) -> tuple[str, ...]:
    """A fresh interpreter that loads `modules`.

    Importing a lazy module does not load it and neither does reading `__dict__`; looking up
    `__all__` does, as a program's first `aws.s3.Bucket` would.
    """
    code = (
        "import importlib; "
        f'[getattr(importlib.import_module(m), "__all__", None) for m in {json.dumps(modules)}]'
    )
    return (sys.executable, "-c", code)


def plan_command(environment: str) -> tuple[str, ...]:
    """A fresh interpreter that runs the whole offline plan of `environment`."""
    return (sys.executable, "-m", "orchestration.plan", "--env", environment, "--quiet")


def used_modules(environment: str) -> tuple[str, ...]:
    """The pulumi_aws modules a plan of `environment` actually loads (asked of a fresh run)."""
    completed = subprocess.run(
        [*plan_command(environment), "--list-aws-modules"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"the plan failed: {completed.stderr.strip()[-2000:]}")
    return tuple(json.loads(completed.stdout.strip().splitlines()[-1]))


def _seconds(command: Sequence[str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"{command[:3]} failed: {completed.stderr.decode()[-2000:]}")
    return elapsed


def measure(environment: str, runs: int = 5) -> Timing:
    """Alternate import-only and whole-plan runs `runs` times each."""
    modules = used_modules(environment)
    importing, planning = import_command(modules), plan_command(environment)
    import_seconds, plan_seconds = [], []
    for _ in range(runs):
        import_seconds.append(_seconds(importing))
        plan_seconds.append(_seconds(planning))
    return Timing(
        environment,
        modules,
        tuple(import_seconds),
        tuple(plan_seconds),
        importing,
        planning,
    )


def run_timing(environment: str, *, runs: int, out: TextIO | None = None) -> int:
    """Measure the plan against importing its pulumi_aws modules; 1 if over the target."""
    out = out or sys.stdout
    try:
        load_settings(environment)
        timing = measure(environment, runs=runs)
    except (SettingsError, RuntimeError) as error:
        raise PlanError(str(error)) from error
    print(timing.report(), file=out)
    return 0 if timing.ratio <= TARGET_RATIO else 1
