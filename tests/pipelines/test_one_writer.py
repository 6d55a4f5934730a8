"""One writer per output folder, and what the system refuses said in one line: two runs into one
folder, a holder killed mid-run, a full disk (a small tmpfs) and a read-only folder — each ends in one
line, and a rerun publishes the rows of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
CMD = [sys.executable, "-m", "r1data.cli", "run", str(REPO / "recipes" / "quickstart.yaml"), "--quiet"]


def run(out, **kw):
    return subprocess.run([*CMD, "--output", str(out)], capture_output=True, text=True, timeout=300, **kw)


def rows(out) -> list[str]:
    return sorted(
        json.dumps(r, sort_keys=True)
        for shard in sorted((Path(out) / "data").glob("*.parquet"))
        for r in pq.read_table(shard).to_pylist()
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "q"
    assert run(out).returncode == 0
    return rows(out)


def test_a_second_run_into_the_folder_is_refused_at_once_naming_the_holder(tmp_path, reference):
    out = tmp_path / "q"
    first = subprocess.Popen(
        [*CMD, "--output", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    lock = out / ".r1data.lock"
    while not (lock.exists() and '"pid"' in lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.01)  # written once the lock is held
    first.send_signal(signal.SIGSTOP)  # the holder is mid-run while the second one starts
    try:
        start = time.monotonic()
        second = run(out)
        assert time.monotonic() - start < 20  # refused at once, not after running
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("r1data run: error: ")
    assert f"pid {first.pid}" in lines[0] and "another run" in lines[0]
    assert first.wait(timeout=300) == 0
    assert rows(out) == reference  # the first run's rows, untouched by the second


def test_a_lock_whose_holder_died_is_taken_over(tmp_path, reference):
    out = tmp_path / "q"
    proc = subprocess.Popen(
        [*CMD, "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not list((out / "logs").glob("*/completions/*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert json.loads((out / ".r1data.lock").read_text())["pid"] == proc.pid  # its record is still there
    again = run(out)
    assert again.returncode == 0, again.stderr
    assert rows(out) == reference


def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    if os.geteuid() != 0 or not _mount_tmpfs(disk, "size=60k"):
        pytest.skip("needs root to mount a small tmpfs")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_disk_is_one_line_and_a_rerun_after_freeing_space_resumes(small_disk, reference):
    out = small_disk / "q"
    full = run(out)
    assert full.returncode == 2
    assert full.stderr.strip().splitlines() == [
        f"r1data run: error: no space left on the device writing {out} (free space there or choose another "
        "output, then run the same command again: finished tasks are kept)"
    ]
    subprocess.run(["mount", "-o", "remount,size=50m", str(small_disk)], check=True)
    again = run(out)
    assert again.returncode == 0, again.stderr
    assert rows(out) == reference


def test_a_read_only_folder_is_one_line(tmp_path):
    disk = tmp_path / "ro"
    if os.geteuid() != 0 or not _mount_tmpfs(disk, "size=1m,ro"):
        pytest.skip("needs root to mount a read-only tmpfs")
    try:
        done = run(disk / "q")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("r1data run: error: the file system is read-only writing ") and str(disk) in line


def test_a_full_disk_under_verify_leaves_no_half_written_file(small_disk, tmp_path):
    """A one-file command cannot resume: the output it started is removed, and the line says so plainly."""
    from tests.conftest import record, write_jsonl

    big = write_jsonl(
        tmp_path / "big.jsonl",
        [record(f"r{i}", texts=("<think>" + "x" * 2000 + "</think> $\\boxed{4}$",) * 8) for i in range(40)],
    )
    out = small_disk / "verified.jsonl"
    done = subprocess.run([sys.executable, "-m", "r1data.cli", "verify", str(big), str(out), "-q"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"r1data verify: error: no space left on the device writing {out} (free space there or choose "
        "another output, then run the same command again)"
    ]
    assert not out.exists() and list(small_disk.iterdir()) == []
