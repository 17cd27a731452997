"""The boundary the architecture contract declares also holds at run time."""

from __future__ import annotations

import subprocess
import sys

# Everything the invoke tasks import to deploy, preview, destroy, verify or plan.
ORCHESTRATOR_MODULES = (
    "orchestration.commands",
    "orchestration.runner",
    "orchestration.engine.cli_engine",
    "orchestration.state.backend",
    "orchestration.preflight",
    "orchestration.verify.cli",
    "orchestration.plan.cli",
)


def test_the_orchestrator_does_not_load_pulumi_aws() -> None:
    # pulumi_aws takes seconds to import; only the programs the engine runs need it.
    code = (
        "import importlib, sys\n"
        f"for name in {ORCHESTRATOR_MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi_aws'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_check_sees_pulumi_aws_when_it_is_loaded() -> None:
    code = "import sys, program.provider\nprint('pulumi_aws' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"
