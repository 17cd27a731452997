"""`invoke verify`: the live checks, reading the stacks' outputs through the orchestrator."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from orchestration.engine import OrchestrationError
from orchestration.verify.runner import VerifyError, run_verify
from shared.settings import load_settings

if TYPE_CHECKING:
    from orchestration.runner import Orchestrator


def verify_action(
    environment: str, endpoint: str | None, out: TextIO | None = None
) -> Callable[[Orchestrator], int]:
    """What `invoke verify` asks the orchestrator to do; the exit code (1 when a check failed).

    The orchestrator supplies each stack's outputs (None for a stack that does not exist);
    a verification that cannot start becomes an OrchestrationError, the tasks' user error.
    """

    def action(orchestrator: Orchestrator) -> int:
        try:
            return run_verify(
                load_settings(environment),
                orchestrator.read_outputs,
                endpoint=endpoint,
                out=out or sys.stdout,
            )
        except VerifyError as error:
            raise OrchestrationError(str(error)) from error

    return action
