"""Issue 14, by hand (not a test): what the orchestration costs next to the bare Pulumi CLI.

    uv run python tests/engine/measure_overhead.py [--runs 5] [--trace] [--only NAME ...]

In a throwaway world (the TEST-ONLY AWS stand-in, a temporary file backend, the shared test
passphrase; nothing under the repo is written), development is deployed once. Then, for each
scenario, alternating which side goes first, `--runs` times:

- deploy: a no-change `invoke deploy --env development` against `pulumi up --refresh --yes
  --skip-preview` on the three stacks one after another (deploy refreshes by default);
- preview: `invoke preview` against three `pulumi preview` (policy pack on, as the task does);
- drift: `invoke drift` against three `pulumi preview --refresh` one after another (the issue's
  target: at most 0.6x), with the default --parallel (one per CPU) and with --parallel 3;
- destroy_deploy: `invoke destroy --yes` then `invoke deploy` against three `pulumi destroy` in
  teardown order then three `pulumi up --refresh`.

The orchestrated side is `python tests/engine/task_process.py <state> development <operation>`:
`commands.run` exactly as the invoke task calls it, in a fresh process (interpreter start and
imports included; invoke's own argument parsing not). The direct side uses the same backend,
passphrase, policy pack and the generated `--config-file` the orchestrator passes.

Prints ONE JSON object on stdout: every command, the samples, the medians, the CPU seconds the
processes of each side used (the machine's cores bound what running stacks at once can gain),
and the ratios (the README's "Numbers" table is written from it); progress goes to stderr.
`--trace` adds the CLI calls one orchestrated deploy and drift make, with their durations.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.commands import REPO_ROOT, TOOLS_DIR_NAME
from orchestration.engine.pulumi_install import ensure_pulumi_cli, verified_version
from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, make_engine_env
from tests.engine.standin_aws.install import install
from tests.moto_server import moto_server

HERE = Path(__file__).resolve().parent

ENV = "development"
PROJECTS = TOPOLOGY.deploy_order()
TASK_PROCESS = HERE / "task_process.py"
# Steps: (command, working directory).
Step = tuple[list[str], Path]

WRAPPER = """#!/bin/sh
# Logs every call the orchestration makes to the CLI (measure_overhead.py --trace).
start=$(date +%s.%N)
"{real}" "$@"
code=$?
end=$(date +%s.%N)
printf '%s\\t%s\\t%s\\n' "$start" "$end" "$*" >> "{log}"
exit $code
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Scenario:
    """One comparison: the orchestrated steps against the direct ones, and the target."""

    name: str
    orchestrated: list[Step]
    direct: list[Step]
    # "overhead": orchestrated/direct - 1 at most `limit`; "ratio": orchestrated/direct at most.
    target_kind: str
    limit: float


def task(state_dir: Path, *operation: str) -> Step:
    return [sys.executable, str(TASK_PROCESS), str(state_dir), ENV, *operation], REPO_ROOT


def direct(env: EngineEnv, state_dir: Path, project: str, *arguments: str) -> Step:
    # The orchestrated run generated it (under stack-config/backends/<key>/ for a backend other
    # than the local default, such as this world's).
    [config] = state_dir.glob(f"stack-config/**/{project}/Pulumi.{ENV}.yaml")
    command = [
        str(env.pulumi), *arguments,
        "--stack", f"organization/{project}/{ENV}",
        "--config-file", str(config),
        "--color", "never", "--suppress-progress", "--non-interactive",
    ]  # fmt: skip
    return command, REPO_ROOT / "projects" / project


def scenarios(env: EngineEnv, state_dir: Path) -> list[Scenario]:
    pack = ("--policy-pack", str(REPO_ROOT / "policy-pack"))
    up = ("up", "--refresh", "--yes", "--skip-preview", *pack)
    return [
        Scenario(
            "deploy",
            [task(state_dir, "deploy")],
            [direct(env, state_dir, project, *up) for project in PROJECTS],
            "overhead",
            0.05,
        ),
        Scenario(
            "preview",
            [task(state_dir, "preview")],
            [direct(env, state_dir, project, "preview", *pack) for project in PROJECTS],
            "overhead",
            0.05,
        ),
        Scenario(
            "drift",
            [task(state_dir, "drift")],
            [direct(env, state_dir, project, "preview", "--refresh") for project in PROJECTS],
            "ratio",
            0.6,
        ),
        Scenario(
            "drift_parallel_3",
            [task(state_dir, "drift", "--parallel", "3")],
            [direct(env, state_dir, project, "preview", "--refresh") for project in PROJECTS],
            "ratio",
            0.6,
        ),
        Scenario(
            "destroy_deploy",
            [task(state_dir, "destroy"), task(state_dir, "deploy")],
            [
                *(
                    direct(env, state_dir, project, "destroy", "--yes", "--skip-preview")
                    for project in reversed(PROJECTS)
                ),
                *(direct(env, state_dir, project, *up) for project in PROJECTS),
            ],
            "overhead",
            0.05,
        ),
    ]


def timed(steps: list[Step], env: dict[str, str]) -> float:
    return measured(steps, env)[0]


def measured(steps: list[Step], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process the steps started and waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    for command, cwd in steps:
        result = subprocess.run(
            command, check=False, cwd=cwd, env=env, capture_output=True, text=True
        )
        # `drift` exits 2 when it finds drift: there must be none in this world.
        if result.returncode != 0:
            raise SystemExit(f"failed: {shlex.join(command)}\n{result.stdout}\n{result.stderr}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def compare(scenario: Scenario, env: dict[str, str], runs: int) -> dict[str, Any]:
    sides: dict[str, list[Step]] = {
        "orchestrated": scenario.orchestrated,
        "direct": scenario.direct,
    }
    samples: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for run in range(runs):
        order = list(sides) if run % 2 == 0 else list(reversed(sides))
        for name in order:
            wall, used = measured(sides[name], env)
            samples[name].append(wall)
            cpu[name].append(used)
        say(
            f"{scenario.name} run {run + 1}: "
            + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in samples.items())
        )
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["orchestrated"] / medians["direct"]
    compared = ratio - 1 if scenario.target_kind == "overhead" else ratio
    return {
        "orchestrated": {
            "commands": [shlex.join(command) for command, _ in scenario.orchestrated],
            "samples": [round(value, 3) for value in samples["orchestrated"]],
            "median": round(medians["orchestrated"], 3),
            "cpu_median": round(statistics.median(cpu["orchestrated"]), 3),
        },
        "direct": {
            "commands": [
                f"(cd {cwd} && {shlex.join(command)})" for command, cwd in scenario.direct
            ],
            "samples": [round(value, 3) for value in samples["direct"]],
            "median": round(medians["direct"], 3),
            "cpu_median": round(statistics.median(cpu["direct"]), 3),
        },
        "ratio": round(ratio, 3),
        "overhead": round(ratio - 1, 3),
        "target": (
            f"overhead <= +{scenario.limit:.0%}"
            if scenario.target_kind == "overhead"
            else f"ratio <= {scenario.limit}x"
        ),
        "met": compared <= scenario.limit,
    }


def trace(env: EngineEnv, steps: list[Step], work: Path, name: str) -> dict[str, Any]:
    wrapped = work / f"traced-{name}" / "bin"
    wrapped.mkdir(parents=True)
    log = work / f"calls-{name}.tsv"
    for tool in env.bin_dir.iterdir():
        target = wrapped / tool.name
        if tool.name == "pulumi":
            target.write_text(WRAPPER.format(real=tool, log=log))
            target.chmod(0o755)
        elif not tool.name.startswith("."):
            target.symlink_to(tool)
    traced_env = dict(env.env, PATH=os.pathsep.join([str(wrapped), env.env["PATH"]]))
    # The wrapper is a new binary: its version is checked once, as after an install.
    verified_version(wrapped / "pulumi")
    log.unlink(missing_ok=True)
    total = timed(steps, traced_env)
    calls = [line.split("\t") for line in log.read_text().splitlines()]
    return {
        "wall": round(total, 3),
        "in_cli": round(sum(float(end) - float(start) for start, end, _ in calls), 3),
        "calls": [
            {
                "seconds": round(float(end) - float(start), 3),
                "command": " ".join(w for w in arguments.split()[:4] if not w.startswith("/")),
            }
            for start, end, arguments in calls
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--only", nargs="*", help="measure only these scenarios")
    options = parser.parse_args()

    bin_dir = ensure_pulumi_cli(REPO_ROOT / TOOLS_DIR_NAME, say)
    work = Path(tempfile.mkdtemp(prefix="measure-overhead-"))
    home = work / "home"
    home.mkdir()
    install(home)
    with moto_server() as endpoint:
        run(options, bin_dir, work, home, endpoint)


def run(options: argparse.Namespace, bin_dir: Path, work: Path, home: Path, endpoint: str) -> None:
    """Measure in a fresh account of the emulator at `endpoint` (the stand-in works there)."""
    env = make_engine_env(home, bin_dir, REPO_ROOT / TOOLS_DIR_NAME, work, endpoint)
    state_dir = work / "state"
    environ = dict(env.env)
    say(f"world: {work}")
    timed([task(state_dir, "deploy")], environ)  # the first deploy creates everything
    chosen = [s for s in scenarios(env, state_dir) if not options.only or s.name in options.only]
    for scenario in chosen:
        timed(scenario.direct, environ)  # warm the caches both sides use
    report: dict[str, Any] = {
        "environment": ENV,
        "runs": options.runs,
        "cpus": os.cpu_count(),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "scenarios": {},
    }
    for scenario in chosen:
        report["scenarios"][scenario.name] = compare(scenario, environ, options.runs)
    report["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    if options.trace:
        report["trace"] = {
            name: trace(env, [task(state_dir, name)], work, name) for name in ("deploy", "drift")
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
