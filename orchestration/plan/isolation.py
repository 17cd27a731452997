"""A thread and event loops of its own for each evaluation, every one closed when it ends.

Pulumi's runtime schedules each registration as a task on the thread's event loop and runs the
mock monitor's calls on that loop's default executor, whose worker threads each need a loop of
their own too (`pulumi.runtime.sync_await._ensure_event_loop` makes one and never closes it).
A loop nobody closes is finalized by the garbage collector at some random later moment, when
its self-pipe may already be gone: "Exception ignored in BaseEventLoop.__del__ ... Invalid file
descriptor: -1". So here every loop is made up front and closed when the evaluation ends:

- the evaluation runs on a thread of its own, so the caller's thread keeps its event loop (none
  is created to look at it, none replaced);
- its loop's default executor hands each worker thread a loop when the thread starts and closes
  those loops when it shuts down;
- tasks a failed program left behind are cancelled before the loop closes, so they can never run
  (or surface) in a later evaluation, and no loop reports the failures nobody awaited: they
  repeat the one error the evaluation raises.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

_T = TypeVar("_T")


def run_isolated(work: Callable[[asyncio.AbstractEventLoop], _T]) -> _T:
    """`work(loop)` on a fresh thread with a fresh loop; its result, or its exception, here."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-evaluation") as thread:
        return thread.submit(_on_private_loop, work).result()


class _LoopPerThreadExecutor(ThreadPoolExecutor):
    """A default executor whose worker threads get an event loop up front, closed at shutdown."""

    def __init__(self) -> None:
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()
        super().__init__(thread_name_prefix="plan-mock-monitor", initializer=self._give_a_loop)

    def _give_a_loop(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_ignore_unretrieved_errors)
        asyncio.set_event_loop(loop)
        with self._loops_lock:
            self._loops.append(loop)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if not wait:  # pragma: no cover - the event loop always waits for its default executor
            return
        # The worker threads have ended: nothing runs these loops any more.
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()


def _on_private_loop(work: Callable[[asyncio.AbstractEventLoop], _T]) -> _T:
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_LoopPerThreadExecutor())
    loop.set_exception_handler(_ignore_unretrieved_errors)
    asyncio.set_event_loop(loop)
    try:
        return work(loop)
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            _collect_runtime_garbage()


def _collect_runtime_garbage() -> None:
    """Collect the evaluation's reference cycles (Outputs, tasks, contexts) now, ~20 ms.

    Left to the garbage collector they are finalized at a random later moment inside unrelated
    code: on CPython 3.11 even inside the compiler, which then fails with "AST constructor
    recursion depth mismatch" (seen in pytest's assertion rewriting after many evaluations).
    A failed program also leaves unawaited coroutines whose warnings only repeat its error.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited")
        gc.collect()


# What asyncio says of a task or future whose failure nobody awaited. In an evaluation that is
# the resources' outputs after a registration failed: each repeats the error the evaluation
# raises once (a resource type without placeholders printed it 44 times, with tracebacks).
_UNRETRIEVED = ("Task exception was never retrieved", "Future exception was never retrieved")


def _ignore_unretrieved_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if str(context.get("message", "")).startswith(_UNRETRIEVED):
        return
    loop.default_exception_handler(context)
