"""What the system refused, said in one line with what to do (no traceback): a full disk, a folder that
cannot be written, too many open files. A rerun after the fix resumes: finished tasks are kept."""

from __future__ import annotations

import errno

_WHAT_TO_DO = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
}
_FIX = {
    errno.ENOSPC: "free space there (or choose another --output), then run the same command again: "
    "finished tasks are kept",
    errno.EDQUOT: "free space there (or choose another --output), then run the same command again: "
    "finished tasks are kept",
    errno.EMFILE: "raise the open-file limit (ulimit -n) or run fewer tasks at once, then run the same "
    "command again: finished tasks are kept",
    errno.ENFILE: "close other programs or raise the system's file limit, then run the same command again",
}


def system_refusal(exc: OSError, where: str | None = None) -> str | None:
    """One line for an OS refusal a user can fix (``None`` for any other OSError).

    >>> import errno
    >>> system_refusal(OSError(errno.ENOSPC, "No space left on device"), "outputs/q")
    'no space left on the device writing outputs/q (free space there (or choose another --output), then run the same command again: finished tasks are kept)'
    """
    if exc.errno not in _WHAT_TO_DO:
        return None
    path = exc.filename or where
    fix = _FIX.get(exc.errno, "make it writable by this user or choose another --output")
    return f"{_WHAT_TO_DO[exc.errno]}" + (f" writing {path}" if path else "") + f" ({fix})"
