"""Issue 6 section 4, by hand (not a test): the orchestration's overhead on a no-change deploy.

    uv run python tests/engine/measure_overhead.py [--runs 5] [--trace]

In a throwaway world (the TEST-ONLY AWS stand-in, a temporary file backend, the shared test
passphrase; nothing under the repo is written), development is deployed once, then, alternating:

- orchestrated: `python tests/engine/task_process.py <state> development deploy`, i.e.
  `commands.run` exactly as `invoke deploy --env development` calls it (policy pack on), minus
  invoke's own argument parsing, in a fresh process;
- direct: three `pulumi up` runs, one per stack in dependency order, with the same backend,
  passphrase, policy pack and the generated `--config-file` the orchestrator passes.

Prints the medians and the overhead. `--trace` also runs one orchestrated deploy through a
logging `pulumi` wrapper and lists every CLI call it made, with durations.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine_support import EngineEnv, make_engine_env  # noqa: E402
from standin_aws.install import install  # noqa: E402

from orchestration.commands import REPO_ROOT, TOOLS_DIR_NAME  # noqa: E402
from orchestration.toolchain.pulumi_cli import ensure_pulumi_cli  # noqa: E402

ENV = "development"
PROJECTS = ("security", "storage", "compute")
TASK_PROCESS = HERE / "task_process.py"

WRAPPER = """#!/bin/sh
# Logs every call the orchestration makes to the CLI (measure_overhead.py --trace).
start=$(date +%s.%N)
"{real}" "$@"
code=$?
end=$(date +%s.%N)
printf '%s\\t%s\\t%s\\n' "$start" "$end" "$*" >> "{log}"
exit $code
"""


def orchestrated_command(state_dir: Path) -> list[str]:
    return [sys.executable, str(TASK_PROCESS), str(state_dir), ENV, "deploy"]


def direct_commands(env: EngineEnv, state_dir: Path) -> list[tuple[list[str], Path]]:
    commands = []
    for project in PROJECTS:
        # The orchestrated run generated it (under stack-config/backends/<key>/ for a backend
        # other than the local default, such as this world's).
        [config] = state_dir.glob(f"stack-config/**/{project}/Pulumi.{ENV}.yaml")
        commands.append(
            (
                [
                    str(env.pulumi), "up", "--yes", "--skip-preview",
                    "--stack", f"organization/{project}/{ENV}",
                    "--config-file", str(config),
                    "--policy-pack", str(REPO_ROOT / "policy-pack"),
                    "--color", "never", "--suppress-progress", "--non-interactive",
                ],
                REPO_ROOT / "projects" / project,
            )
        )  # fmt: skip
    return commands


def timed(commands: list[tuple[list[str], Path]], env: dict[str, str]) -> float:
    started = time.perf_counter()
    for command, cwd in commands:
        result = subprocess.run(
            command, check=False, cwd=cwd, env=env, capture_output=True, text=True
        )
        if result.returncode != 0 or "unchanged" not in result.stdout:
            raise SystemExit(f"failed or changed: {shlex.join(command)}\n{result.stdout}")
    return time.perf_counter() - started


def trace(env: EngineEnv, state_dir: Path, work: Path) -> None:
    wrapped = work / "traced" / "bin"
    wrapped.mkdir(parents=True)
    log = work / "calls.tsv"
    for tool in env.bin_dir.iterdir():
        target = wrapped / tool.name
        if tool.name == "pulumi":
            target.write_text(WRAPPER.format(real=tool, log=log))
            target.chmod(0o755)
        else:
            target.symlink_to(tool)
    traced_env = dict(env.env, PATH=os.pathsep.join([str(wrapped), env.env["PATH"]]))
    started = time.perf_counter()
    timed([(orchestrated_command(state_dir), REPO_ROOT)], traced_env)
    total = time.perf_counter() - started
    calls = [line.split("\t") for line in log.read_text().splitlines()]
    in_cli = sum(float(end) - float(start) for start, end, _ in calls)
    print(f"\ntraced orchestrated deploy: {total:.2f}s wall, {len(calls)} CLI calls, "
          f"{in_cli:.2f}s inside the CLI")  # fmt: skip
    for start, end, arguments in calls:
        words = arguments.split()
        shown = " ".join(w for w in words[:4] if not w.startswith("/"))
        print(f"  {float(end) - float(start):6.2f}s  pulumi {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--trace", action="store_true")
    options = parser.parse_args()

    bin_dir = ensure_pulumi_cli(REPO_ROOT / TOOLS_DIR_NAME, print)
    work = Path(tempfile.mkdtemp(prefix="measure-overhead-"))
    home = work / "home"
    home.mkdir()
    install(home)
    env = make_engine_env(home, bin_dir, REPO_ROOT / TOOLS_DIR_NAME, work)
    state_dir = work / "state"
    environ = dict(env.env)
    print(f"world: {work}")
    first = subprocess.run(
        orchestrated_command(state_dir), check=False, env=environ, capture_output=True
    )
    if first.returncode:
        raise SystemExit(first.stdout.decode() + first.stderr.decode())

    orchestrated = [(orchestrated_command(state_dir), REPO_ROOT)]
    direct = direct_commands(env, state_dir)
    timed(direct, environ)  # warm the caches both sides use
    samples: dict[str, list[float]] = {"orchestrated": [], "direct": []}
    for run in range(options.runs):
        order = [("orchestrated", orchestrated), ("direct", direct)]
        for name, commands in order if run % 2 == 0 else reversed(order):
            samples[name].append(timed(commands, environ))
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in samples.items()))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    overhead = medians["orchestrated"] / medians["direct"] - 1
    print("\norchestrated:", shlex.join(orchestrated[0][0]))
    for command, cwd in direct:
        print("direct:      ", f"(cd {cwd} &&", shlex.join(command) + ")")
    print(json.dumps({"runs": options.runs, "samples": samples, "medians": medians}, indent=2))
    print(f"overhead: {overhead:+.1%} (target <= +10%)")
    if options.trace:
        trace(env, state_dir, work)


if __name__ == "__main__":
    main()
