"""What went wrong, said in one line with what to do (no traceback unless ``--log-level DEBUG``): a
user's mistake (exit 2), what the system refused — a full disk, a folder that cannot be written, too many
open files (exit 2 too: a user fixes them; a rerun after the fix resumes, finished tasks are kept) — and a
run that failed or cannot start now (exit 1)."""

from __future__ import annotations

import errno


class FolderBusy(RuntimeError):
    """Another run holds an output folder's lock (:mod:`r1data.io.locks`)."""


_WHAT = {  # every refusal a user fixes: exit 2, as any other mistake
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
}
_FREE = "free space there or choose another output, then run the same command again"
_FIX = {
    errno.ENOSPC: _FREE,
    errno.EDQUOT: _FREE,
    errno.EMFILE: "raise the open-file limit (ulimit -n) or run fewer tasks at once, then run the same "
    "command again",
    errno.ENFILE: "close other programs or raise the system's file limit, then run the same command again",
}


def system_refusal(exc: OSError, where: str | None = None, resumes: bool = False) -> str | None:
    """One line for an OS refusal a user can fix (``None`` for any other OSError). ``resumes``: the
    command keeps its finished tasks (``r1data run``), which a rerun after the fix says.

    >>> system_refusal(OSError(errno.ENOSPC, "No space left on device"), "outputs/q")
    'no space left on the device writing outputs/q (free space there or choose another output, then run the same command again)'
    """
    if exc.errno not in _WHAT:
        return None
    path = exc.filename or where
    fix = _FIX.get(exc.errno, "make it writable by this user or choose another --output")
    if resumes and exc.errno in _FIX:
        fix += ": finished tasks are kept"
    return _WHAT[exc.errno] + (f" writing {path}" if path else "") + f" ({fix})"


def one_line(exc: BaseException, args) -> tuple[str | None, int]:
    """``(line, exit code)`` for an exception a command let through: a user's mistake is exit 2, a
    failed or refused run exit 1; ``(None, 1)`` for a bug, which is shown with its traceback."""
    if isinstance(exc, FileNotFoundError | FileExistsError | ValueError | FolderBusy):
        text = str(exc).strip()
        return (text.splitlines()[0] if text else type(exc).__name__), 2
    if isinstance(exc, OSError):
        where = getattr(args, "output", None) or getattr(args, "output_dir", None)
        # a run resumes from its finished tasks; a one-file command (verify, filter) starts over
        return system_refusal(exc, where, resumes=getattr(args, "command", None) == "run"), 2
    if isinstance(exc, RuntimeError):
        return str(exc).strip(), 1
    return None, 1
