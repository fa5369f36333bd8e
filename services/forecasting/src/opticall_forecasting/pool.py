"""The process pool that runs model fits, so the event loop never does CPU-bound work.

Processes are spawned (not forked: the parent has a running event loop and Kafka threads) and
warmed up at start-up: Prophet is imported and one tiny model fitted in each, so the first
``/predict`` costs one fit and nothing more. statsforecast's numba warm-up (about ten seconds)
happens in a background thread of each process, where only the job backtests need it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

import numpy as np

from opticall_common.cpus import usable_cpus
from opticall_forecasting.fitting import FitSpec, fit_prophet, quiet_logs

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def _import_statsforecast() -> None:
    try:
        import statsforecast.models  # noqa: F401
    except Exception:  # pragma: no cover - a broken install shows up in the job instead
        logging.getLogger(__name__).exception("statsforecast warm-up failed")


def _exit_with_parent(parent: int) -> None:
    # A SIGKILLed service cannot shut its pool down; its workers would linger forever.
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _init_worker(warm_statsforecast: bool) -> None:
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    quiet_logs()
    ds = np.arange("2025-01-01", "2025-01-03", np.timedelta64(1, "h"), dtype="datetime64[ns]")
    y = np.abs(np.sin(np.arange(len(ds)))) * 10
    future = ds[-1] + np.arange(1, 4) * np.timedelta64(1, "h")
    fit_prophet(FitSpec(ds=ds, y=y, future=future, step=3600.0, uncertainty_samples=10))
    if warm_statsforecast:
        threading.Thread(target=_import_statsforecast, daemon=True).start()


def _ready() -> int:
    return os.getpid()


class ModelPool:
    def __init__(self, size: int, warm_statsforecast: bool) -> None:
        # 0: the CPUs this process may use (affinity, cgroup quota), not the host's core count.
        self.size = size or usable_cpus()
        self.warm_statsforecast = warm_statsforecast
        self._executor: ProcessPoolExecutor | None = None

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.warm_statsforecast,),
        )

    async def start(self) -> None:
        self._executor = self._new_executor()
        loop = asyncio.get_running_loop()
        # One submission per worker makes the executor spawn (and so warm) all of them now.
        pids = await asyncio.gather(
            *(loop.run_in_executor(self._executor, _ready) for _ in range(self.size))
        )
        log.info("model pool ready: %d processes (%s)", self.size, sorted(set(pids)))

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def check(self) -> None:
        """Readiness: the pool exists and no worker has died under it."""
        if self._executor is None or getattr(self._executor, "_broken", False):
            raise RuntimeError("model pool is not running")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker. A worker dying under it (``BrokenProcessPool``) replaces the
        pool and raises: the caller decides whether the work is tried again."""
        loop = asyncio.get_running_loop()
        if self._executor is None:
            raise RuntimeError("model pool is not running")
        executor = self._executor
        try:
            return await loop.run_in_executor(executor, _call, fn, args, kwargs)
        except BrokenProcessPool:
            log.error("a model worker died; replacing the pool")
            if self._executor is executor:
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
            raise


def _call(fn: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
    return fn(*args, **kwargs)
