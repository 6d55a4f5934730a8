"""NOT library code: a real one-node Slurm cluster (Debian's slurm-wlm and munge) for tests and benches.

Everything lives under one folder: its own munge key and socket, ``slurm.conf`` with its own ports,
state, spool, log and pid files; the daemons run in the foreground as children of this process and are
stopped (``scontrol shutdown``, then munged) when the context ends, with a check that none is left.
Clients find the cluster through ``SLURM_CONF``, which :meth:`OneNodeSlurm.start` sets in this process's
environment (jobs inherit it).

    with OneNodeSlurm(tmp_dir, max_array_size=4) as cluster:
        subprocess.run(["sbatch", "--wrap", "true"], env=cluster.env)
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DAEMONS = ("munged", "slurmctld", "slurmd")


def missing() -> str | None:
    """Why a one-node Slurm cannot run here (None: it can)."""
    absent = [d for d in (*DAEMONS, "sbatch", "squeue", "scontrol") if not shutil.which(d)]
    if absent:
        return f"Slurm/munge not installed ({', '.join(absent)} missing; `make test` installs slurm-wlm and munge)"
    if os.geteuid() != 0:
        return "a one-node Slurm needs root here (slurmd runs jobs as their users)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    with open("/proc/meminfo") as f:
        total_kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
    return int(total_kb / 1024 * 0.9)


class OneNodeSlurm:
    def __init__(self, root: str, partition: str = "cpu", max_array_size: int = 1001):
        self.root, self.partition, self.max_array_size = os.path.abspath(root), partition, max_array_size
        self.conf = os.path.join(self.root, "slurm.conf")
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        # munged runs as the munge user, who cannot enter private temp folders (pytest's are 0700), and
        # a socket path must stay short: its folder is a world-readable one of its own under /tmp
        self.munge_dir = tempfile.mkdtemp(prefix="r1data-munge-")

    def _path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def _write_config(self) -> None:
        host = socket.gethostname().split(".")[0]
        munge_socket = os.path.join(self.munge_dir, "munge.socket.2")
        lines = {
            "ClusterName": "r1datatest",
            "SlurmctldHost": f"{host}(127.0.0.1)",
            "SlurmctldPort": _free_port(),
            "SlurmdPort": _free_port(),
            "AuthType": "auth/munge",
            "AuthInfo": f"socket={munge_socket}",
            "CredType": "cred/munge",
            "SlurmUser": "root",
            "SlurmdUser": "root",
            "StateSaveLocation": self._path("state"),
            "SlurmdSpoolDir": self._path("spool"),
            "SlurmctldPidFile": self._path("slurmctld.pid"),
            "SlurmdPidFile": self._path("slurmd.pid"),
            "SlurmctldLogFile": self._path("slurmctld.log"),
            "SlurmdLogFile": self._path("slurmd.log"),
            "ProctrackType": "proctrack/linuxproc",
            "TaskPlugin": "task/none",
            "SelectType": "select/cons_tres",
            "SelectTypeParameters": "CR_Core_Memory",
            "DefMemPerCPU": 1000,
            "MaxArraySize": self.max_array_size,
            "ReturnToService": 2,
            "MpiDefault": "none",
            "JobAcctGatherType": "jobacct_gather/none",
            "AccountingStorageType": "accounting_storage/none",
            "SchedulerType": "sched/backfill",
            "MinJobAge": 300,
            "KillWait": 5,
        }
        text = "".join(f"{k}={v}\n" for k, v in lines.items())
        text += f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={_memory_mb()} State=UNKNOWN\n"
        text += f"PartitionName={self.partition} Nodes={host} Default=YES MaxTime=INFINITE State=UP\n"
        with open(self.conf, "w") as f:
            f.write(text)

    def _start_munge(self) -> None:
        folder = self.munge_dir
        munge = pwd.getpwnam("munge")
        key = os.path.join(folder, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        os.chmod(folder, 0o755)
        for path in (folder, key):
            os.chown(path, munge.pw_uid, munge.pw_gid)
        cmd = ["runuser", "-u", "munge", "--", "munged", "-F", f"--socket={folder}/munge.socket.2",
               f"--key-file={key}", f"--log-file={folder}/munged.log", f"--pid-file={folder}/munged.pid",
               f"--seed-file={folder}/munged.seed"]  # fmt: skip
        self.procs["munged"] = subprocess.Popen(
            cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait(lambda: os.path.exists(f"{folder}/munge.socket.2"), "munged socket", "munged")

    def _wait(self, ready, what: str, daemon: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            proc = self.procs.get(daemon)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{daemon} exited with {proc.returncode}; see {self.root}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready in {timeout_s} s; see {self.root}")
            time.sleep(0.2)

    def start(self) -> OneNodeSlurm:
        for sub in ("state", "spool"):
            os.makedirs(self._path(sub), exist_ok=True)
        self._write_config()
        self._start_munge()
        self.procs["slurmctld"] = subprocess.Popen(
            ["slurmctld", "-D", "-i", "-f", self.conf], env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.procs["slurmd"] = subprocess.Popen(
            ["slurmd", "-D", "-f", self.conf], env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait(self._node_idle, "the Slurm node", "slurmd")
        os.environ["SLURM_CONF"] = self.conf
        return self

    def _node_idle(self) -> bool:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True)
        return out.returncode == 0 and out.stdout.strip() in ("idle", "mixed", "allocated")

    def squeue(self) -> list[list[str]]:
        out = subprocess.run(
            ["squeue", "-h", "-o", "%i|%j|%T|%r"], env=self.env, capture_output=True, text=True
        )
        return [line.split("|") for line in out.stdout.splitlines() if line.strip()]

    def stop(self) -> None:
        subprocess.run(["scancel", "--full", "-u", "root"], env=self.env, capture_output=True, timeout=30)
        subprocess.run(["scontrol", "shutdown"], env=self.env, capture_output=True, timeout=30)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.pop(name, None)
            if proc is None:
                continue
            if name == "munged":  # scontrol shutdown stops the Slurm daemons only
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
        if os.environ.get("SLURM_CONF") == self.conf:
            del os.environ["SLURM_CONF"]
        shutil.rmtree(self.munge_dir, ignore_errors=True)

    def leftovers(self) -> list[str]:
        """Processes that still run from this cluster (daemons or job steps naming its files)."""
        left = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if self.root in cmd or self.munge_dir in cmd:
                left.append(f"{pid}: {cmd[:200]}")
        return left

    def __enter__(self) -> OneNodeSlurm:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
