"""What a run prints: warnings and errors on stderr, one progress bar per stage, the funnel at the end.
datatrove's per-task logs (pipeline, per-step stats) go to the run's log files
(``logs/<stage>/logs/task_NNNNN.log``) only, unless ``--log-level INFO`` (or DEBUG) asks for them.

The level travels to forked and spawned task processes through ``R1DATA_LOG_LEVEL``."""

from __future__ import annotations

import contextlib
import os
import sys

from loguru import logger

ENV_LEVEL, ENV_PROGRESS = "R1DATA_LOG_LEVEL", "R1DATA_PROGRESS"
FORMAT = "{time:HH:mm:ss} | <level>{level: <7}</level> | {message}"


def level() -> str:
    return os.environ.get(ENV_LEVEL, "WARNING").upper()


def progress_enabled() -> bool:
    """Bars when the command asked for them (not ``--quiet``), or by default on a terminal."""
    wanted = os.environ.get(ENV_PROGRESS)
    return wanted == "1" if wanted is not None else sys.stderr.isatty()


def configure(log_level: str = "WARNING", progress: bool = True) -> None:
    """Set the console for this process and the task processes it starts."""
    os.environ[ENV_LEVEL] = log_level.upper()
    os.environ[ENV_PROGRESS] = "1" if progress else "0"
    _route_datatrove_task_logs()  # first: importing datatrove's logging resets loguru's sinks
    _stderr_sink()


def _console_format(record) -> str:
    """The console line; an error's traceback only at DEBUG (the error's own message says what failed)."""
    return FORMAT + ("\n{exception}" if level() == "DEBUG" else "") + "\n"


def _not_a_task_failure(record) -> bool:
    """datatrove logs a failing task's exception, then raises it: the command reports it once, in its
    own words; the task's log file keeps the traceback (and DEBUG shows it here)."""
    return level() == "DEBUG" or not (
        record["function"] == "_run_for_rank" and record["exception"] is not None
    )


def _stderr_sink() -> None:
    logger.remove()
    logger.add(sys.stderr, level=level(), format=_console_format)


def _add_task_logger(logging_dir, rank: int, local_rank: int = 0, node_rank: int = -1):
    """datatrove's task logger, with its console sink at r1data's level (its file sink unchanged)."""
    logger.remove()
    logfile = logging_dir.open(f"logs/task_{rank:05d}.log", "w")
    logger.add(
        sys.stderr,
        level=level() if local_rank == 0 else "ERROR",
        format=_console_format,
        filter=_not_a_task_failure,
    )

    def write(message: str) -> None:
        with contextlib.suppress(OSError):  # the log's own disk is full: the run's error says so, once
            logfile.write(message)

    logger.add(
        write,
        level="DEBUG",
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}\n{exception}",
    )
    logger.info(f"Launching pipeline for {rank=}")
    return logfile


def _close_task_logger(logfile) -> None:
    logger.complete()
    _stderr_sink()
    logfile.close()


def _route_datatrove_task_logs() -> None:
    import datatrove.executor.base as base

    base.add_task_logger, base.close_task_logger = _add_task_logger, _close_task_logger
