"""A quiet console: warnings and errors on stderr, one progress bar per stage with done/total, datatrove's
task logs in the run's log files (on stderr only when asked), the funnel on stdout."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def run(out, *flags):
    cmd = [
        sys.executable,
        "-m",
        "r1data.cli",
        "run",
        str(REPO / "recipes/quickstart.yaml"),
        "--output",
        str(out),
    ]
    return subprocess.run([*cmd, *flags], capture_output=True, text=True, timeout=300)


def test_default_console_shows_bars_with_totals_and_no_task_logs(tmp_path):
    done = run(tmp_path / "a")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert all("%|" in line for line in lines), lines  # progress bars only
    assert any("stage 1/2 verify" in line and "43/43" in line for line in lines)
    assert any("stage 2/2 select" in line and "40/40" in line for line in lines)
    assert "kept 60" in done.stdout
    log = (tmp_path / "a/logs/verify/logs/task_00000.log").read_text()
    assert "Launching pipeline" in log and "📉" in log  # datatrove's logs and stats are in the file


def test_quiet_prints_nothing_on_stderr_and_info_shows_the_task_logs(tmp_path):
    quiet = run(tmp_path / "q", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and "kept 60" in quiet.stdout
    loud = run(tmp_path / "l", "--quiet", "--log-level", "info")
    assert "Launching pipeline for rank=0" in loud.stderr
