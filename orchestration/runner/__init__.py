"""Orchestration logic: which stacks, in which order, under which guards. Knows nothing of invoke.

One module per job, each layer importing only the ones below it (a layers contract in
pyproject.toml):

- `operations`: `Orchestrator`, the operations (deploy, preview, refresh, destroy, drift,
  outputs) of one environment: selection, order, and what each does to a stack;
- `guards`: preflight of the upstream outputs, confirmation, the destroy and protection guards;
- `keys`: a KMS key deleted (or pending deletion) behind Pulumi's back is never replaced
  silently: the deploy refuses, with the way to recover it and the consumers that read it;
- `loss`: nothing lost, nothing orphaned: the update guard (deletions, replacements, outputs
  consumers read, another stack's checkpoint), lost state, and settling the creates an
  interrupted update left pending;
- `scheduler`: the levels on a bounded thread pool, fail fast, Ctrl-C handling;
- `report`: the per-stack outcomes, the exit code and the printed summary.

Callers import from this package: `from orchestration.runner import Orchestrator, RunReport`.
"""

from __future__ import annotations

from orchestration.exit_codes import EXIT_DRIFT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from orchestration.runner.guards import (
    Ask,
    ConfirmationRequired,
    DestroyRefused,
    PreflightError,
    TeardownBlocked,
    UpstreamGap,
)
from orchestration.runner.keys import KeyLost
from orchestration.runner.loss import DamagedState, ForeignState, StateLost, UpdateRefused
from orchestration.runner.operations import Orchestrator
from orchestration.runner.report import (
    Operation,
    RunReport,
    StackOutcome,
    Status,
    TaskHint,
    format_changes,
    format_duration,
)
from orchestration.runner.scheduler import DEFAULT_MAX_WORKERS, DEFAULT_PARALLEL

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_PARALLEL",
    "EXIT_DRIFT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "Ask",
    "ConfirmationRequired",
    "DamagedState",
    "DestroyRefused",
    "ForeignState",
    "KeyLost",
    "Operation",
    "Orchestrator",
    "PreflightError",
    "RunReport",
    "StackOutcome",
    "StateLost",
    "Status",
    "TaskHint",
    "TeardownBlocked",
    "UpdateRefused",
    "UpstreamGap",
    "format_changes",
    "format_duration",
]
