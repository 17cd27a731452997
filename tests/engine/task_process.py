"""Runs one orchestration command in a process of its own, as `invoke <task>` would (tests only).

    python task_process.py STATE_DIR ENVIRONMENT {deploy,preview,refresh} [PROJECT]

Engine tests use it where a real process matters (signals). It calls `commands.run` like
tasks.py, except that the state goes to STATE_DIR (not the repo's .pulumi-state) and the CLI
and PULUMI_HOME come from the environment the test built (EngineEnv.env).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from orchestration import commands
from orchestration.engine import OrchestrationError


def main(arguments: list[str]) -> int:
    state_dir, environment, operation, *rest = arguments
    project = rest[0] if rest else None
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print("no pulumi on PATH", file=sys.stderr)
        return 1
    repo = commands.Paths.for_repo()
    paths = commands.Paths(
        projects_dir=repo.projects_dir,
        state_dir=Path(state_dir),
        tools_dir=Path(pulumi).parent,
        policy_pack=repo.policy_pack,
        pulumi_home=Path(os.environ["PULUMI_HOME"]),
    )
    actions = {
        "deploy": lambda orchestrator: orchestrator.deploy(project, yes=True),
        "preview": lambda orchestrator: orchestrator.preview(project),
        "refresh": lambda orchestrator: orchestrator.refresh(project),
    }
    try:
        return commands.run(
            environment,
            actions[operation],
            project=project,
            # As tasks.py: deploy and preview run the policy pack; the others have none.
            policy=True if operation in {"deploy", "preview"} else None,
            paths=paths,
            locate_cli=lambda tools, progress: Path(pulumi).parent,
            # Test double: the stand-in needs no AWS credentials and nothing may reach AWS.
            resolve_credentials=lambda region: True,
        )
    except OrchestrationError as error:
        print(error, file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
