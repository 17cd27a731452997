"""Runs one orchestration command in a process of its own, as `invoke <task>` would (tests only).

    python task_process.py STATE_DIR ENVIRONMENT OPERATION [PROJECT] [--projects DIR]
                           [--parallel N]

OPERATION: deploy, preview, refresh, drift, destroy (with --yes) or outputs. Engine tests use
it where a real process matters (signals), and measure_overhead.py to time a task. It calls
`commands.run` like tasks.py, except that the state goes to STATE_DIR (not the repo's
.pulumi-state), the programs may come from a copy of projects/ (`--projects`), and the CLI and
PULUMI_HOME come from the environment the test built (EngineEnv.env), and so does the
emulator endpoint every run is aimed at.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from orchestration import commands
from orchestration.engine.interface import OrchestrationError
from shared.emulator import EMULATOR_ENDPOINT_ENV

ACTIONS = {
    "deploy": lambda project: lambda o: o.deploy(project, yes=True),
    "preview": lambda project: lambda o: o.preview(project),
    "refresh": lambda project: lambda o: o.refresh(project),
    "drift": lambda project: lambda o: o.drift(project),
    "destroy": lambda project: lambda o: o.destroy(project, yes=True),
    "outputs": lambda project: lambda o: o.show_outputs(project),
}


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("environment")
    parser.add_argument("operation", choices=sorted(ACTIONS))
    parser.add_argument("project", nargs="?")
    parser.add_argument("--projects", type=Path, help="a changed copy of projects/")
    parser.add_argument("--parallel", type=int, help="as the tasks' --parallel")
    options = parser.parse_args(arguments)
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print("no pulumi on PATH", file=sys.stderr)
        return 1
    repo = commands.Paths.for_repo()
    paths = commands.Paths(
        projects_dir=options.projects or repo.projects_dir,
        state_dir=options.state_dir,
        tools_dir=Path(pulumi).parent,
        policy_pack=repo.policy_pack,
        pulumi_home=Path(os.environ["PULUMI_HOME"]),
    )
    try:
        return commands.run(
            options.environment,
            ACTIONS[options.operation](options.project),
            project=options.project,
            # As tasks.py: deploy and preview run the policy pack; the others have none.
            policy=True if options.operation in {"deploy", "preview"} else None,
            aws=options.operation != "outputs",
            # The emulator the test's account lives in, as `--endpoint URL` gives it to a task.
            endpoint=os.environ[EMULATOR_ENDPOINT_ENV],
            paths=paths,
            checks=commands.Checks(locate_cli=lambda tools, progress: Path(pulumi).parent),
            parallel=options.parallel,
        )
    except OrchestrationError as error:
        print(error, file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
