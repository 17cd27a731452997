"""Runs one Pulumi Python program for the language host (upstream: pulumi-language-python-exec).

language_host.py starts `python -u program_exec.py --monitor ADDR --engine ADDR ... PROGRAM
[ARGS]` in the program's interpreter, with the stack config in PULUMI_CONFIG and the secret
keys in PULUMI_CONFIG_SECRET_KEYS. Executed by file path in whatever venv the project names, so
it may only import the standard library and pulumi (and grpc, a pulumi dependency).

Exit codes: 0 success; 32 failure already reported to the engine (the host answers `bail`, and
the engine shows our message instead of a generic one); 1 when even reporting failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Imported here but checked in main(): a venv without the SDK gets a readable message, not a
# bare traceback.
try:
    import grpc
    import pulumi
    import pulumi.runtime
except ImportError:
    _IMPORT_ERROR: str | None = traceback.format_exc()
else:
    _IMPORT_ERROR = None

EXIT_ALREADY_REPORTED = 32


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Execute a Pulumi Python program")
    for name in (
        "project",
        "stack",
        "parallel",
        "dry_run",
        "pwd",
        "monitor",
        "engine",
        "tracing",
        "organization",
        "root_directory",
    ):
        parser.add_argument(f"--{name}")
    parser.add_argument("PROGRAM", help="the program: a directory with __main__.py, or a file")
    parser.add_argument("ARGS", nargs=argparse.REMAINDER, help="arguments for the program")
    # Strict: this script and language_host.py ship together, so they always agree.
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    arguments = parse_args(argv)
    if _IMPORT_ERROR is not None:
        print(_IMPORT_ERROR, file=sys.stderr)
        print(
            f"\nThe Pulumi SDK is not installed for {sys.executable}. Run `uv sync` in the repo "
            "(or fix runtime.options.virtualenv in Pulumi.yaml).",
            file=sys.stderr,
        )
        return 1

    pulumi.runtime.set_all_config(
        pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
    )
    parallel = int(arguments.parallel) if arguments.parallel else 0
    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            monitor=arguments.monitor,
            engine=arguments.engine,
            project=arguments.project,
            stack=arguments.stack,
            parallel=parallel,
            dry_run=arguments.dry_run == "true",
            organization=arguments.organization or "organization",
            root_directory=arguments.root_directory,
        )
    )
    if arguments.pwd:
        os.chdir(arguments.pwd)
    program = Path(arguments.PROGRAM)
    if program.is_dir() and not (program / "__main__.py").exists():
        pulumi.log.error(
            f"{program.resolve()} has no __main__.py; point Pulumi.yaml `main:` at "
            "the directory holding the program."
        )
        return EXIT_ALREADY_REPORTED
    if program.is_file():
        # run_path puts a directory on sys.path itself, but not the folder of a file.
        sys.path.insert(0, str(program.resolve().parent))
    sys.argv = [str(program), *arguments.ARGS]
    return _run(str(program), parallel)


def _run(program: str, parallel: int) -> int:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Resource registrations run in the default executor; size it like the SDK's inline host.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=max(parallel, 1) * 4))
    # A failed deployment leaves futures unobserved on purpose; asyncio's complaints about them
    # would only bury the real error (the upstream exec script silences them too).
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    def run_program() -> None:
        runpy.run_path(program, run_name="__main__")

    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run_program))
        return 0
    except KeyboardInterrupt:
        # The engine interrupts the plugin's process group when it winds down (cancellation, a
        # failed preview); it already knows why, and a traceback would only confuse the user.
        return EXIT_ALREADY_REPORTED
    except pulumi.RunError as error:
        return _report(str(error))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            # The engine is shutting down (e.g. cancelled); it knows why, nothing to add.
            return EXIT_ALREADY_REPORTED
        return _report(f"RPC error: {error.details()}")
    except Exception:  # the program's own failure: report it, whatever it is
        return _report("Program failed with an unhandled exception:\n" + traceback.format_exc())
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
            with contextlib.suppress(BaseException):
                loop.run_until_complete(task)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()


def _report(message: str) -> int:
    try:
        pulumi.log.error(message)
    except Exception:  # the engine is gone: stderr is all we have left
        print(message, file=sys.stderr)
        return 1
    return EXIT_ALREADY_REPORTED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
