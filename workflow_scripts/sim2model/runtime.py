"""Run a library function as a workflow job: log to a file, pass named inputs/outputs/params.

This is the only module that sees Snakemake's ``snakemake`` object, and only as a duck-typed
argument; everything it calls takes plain paths and values.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("sim2model")


@contextmanager
def log_to_file(path: str | os.PathLike | None) -> Iterator[None]:
    """Send stdout, stderr (including C libraries' output) and ``logging`` to ``path``."""
    if path is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a", buffering=1) as stream:
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            root.removeHandler(handler)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


#: A param the report's caption templates read (``{{ snakemake.params.caption }}``); it reaches
#: the library function only if the function takes it (tables print it above their rows).
CAPTION_PARAM = "caption"


def job_arguments(job: Any, func: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Named inputs, outputs and params of a Snakemake job as keyword arguments of ``func``."""
    kwargs: dict[str, Any] = {}
    for group in ("input", "output", "params"):
        for name, value in getattr(job, group).items():
            if name in kwargs:
                raise ValueError(
                    f"rule {job.rule}: name '{name}' used twice in input/output/params"
                )
            kwargs[name] = value
    if func is not None and CAPTION_PARAM not in inspect.signature(func).parameters:
        kwargs.pop(CAPTION_PARAM, None)
    return kwargs


def run_job(job: Any, func: Callable[..., Any]) -> None:
    """Call ``func(**named inputs, outputs, params)`` with logging to the job's log file.

    Thread pools of numerical libraries are limited to the job's ``threads``. An exception is
    written to the log with its traceback and re-raised so Snakemake marks the job failed.
    """
    threads = str(max(1, int(getattr(job, "threads", 1))))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    log_path = job.log[0] if len(job.log) else None
    with log_to_file(log_path):
        start = time.perf_counter()
        log.info("rule %s %s started (threads=%s)", job.rule, dict(job.wildcards.items()), threads)
        try:
            func(**job_arguments(job, func))
        except Exception:
            log.error("rule %s failed:\n%s", job.rule, traceback.format_exc())
            raise
        log.info("rule %s finished in %.1f s", job.rule, time.perf_counter() - start)
