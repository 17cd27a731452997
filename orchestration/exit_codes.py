"""The tasks' process exit codes, in an import-free module (tasks.py reads it at start-up)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DRIFT = 2
EXIT_INTERRUPTED = 130  # what a shell reports for SIGINT
