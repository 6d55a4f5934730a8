"""One writer per output folder: ``r1data run`` and ``r1data mix`` hold an exclusive lock on their folder
for the whole run. The lock is ``DIR/.r1data.lock``, locked with ``flock`` (the kernel releases it when
its holder dies, even by SIGKILL, so a dead holder's lock is simply taken over) and holding who has it:
host, pid, command and start time. A second run into the folder is refused at once, naming the holder.
Cluster tasks do not take it: each writes only its own rank's files, under the run that holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time

from r1data.core.errors import FolderBusy

LOCK_NAME = ".r1data.lock"


class FolderLock:
    """``with FolderLock(folder, "r1data run recipes/x.yaml"):`` — the folder is created if needed."""

    def __init__(self, folder: str, command: str):
        self.folder, self.command = os.path.abspath(folder), command
        self.path = os.path.join(self.folder, LOCK_NAME)
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        os.makedirs(self.folder, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise FolderBusy(
                f"{self.folder} is being written by another run: {holder} "
                "(wait for it to end, or choose another --output)"
            ) from None
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "command": self.command,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            # the file stays: removing it would let a run that opened it before lock a stale inode
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return "(holder unknown)"
    return f"`{info.get('command', '?')}` on {info.get('host', '?')}, pid {info.get('pid', '?')}, since {info.get('started', '?')}"
