"""The tasks' process exit codes, in an import-free module (tasks.py reads it at start-up)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DRIFT = 2
# `invoke plan --base REF --fail-on-changes`: the plan differs from REF's (as `pulumi preview
# --expect-no-changes` fails when the preview has changes).
EXIT_CHANGES = 3
EXIT_INTERRUPTED = 130  # what a shell reports for SIGINT
