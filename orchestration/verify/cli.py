"""`invoke verify`: the live checks, reading the stacks through the orchestrator."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from orchestration.engine.interface import OrchestrationError
from orchestration.verify.runner import VerifyError, run_verify

if TYPE_CHECKING:
    from orchestration.runner import Orchestrator


def credentials_hint(environment: str) -> str:
    """What the missing-credentials message offers `invoke verify` instead of them."""
    return (
        f"Verify reads the live {environment} environment through AWS: with those credentials "
        "(or `aws configure --profile NAME`, then AWS_PROFILE=NAME), or pass --endpoint URL to "
        f"verify one deployed to a local AWS emulator (`invoke plan --env {environment}` checks "
        "the programs offline, but not what is live)."
    )


def verify_action(endpoint: str | None, out: TextIO | None = None) -> Callable[[Orchestrator], int]:
    """What `invoke verify` asks the orchestrator to do; the exit code (1 when a check failed).

    The orchestrator has loaded the settings and checked the credentials already; it names the
    stacks as its backend does and supplies their outputs. A verification that cannot start
    becomes an OrchestrationError, the tasks' user error.
    """

    def action(orchestrator: Orchestrator) -> int:
        try:
            return run_verify(
                orchestrator.settings, orchestrator, endpoint=endpoint, out=out or sys.stdout
            )
        except VerifyError as error:
            raise OrchestrationError(str(error)) from error

    return action
