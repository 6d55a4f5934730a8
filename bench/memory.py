"""Peak memory at the end of a run does not grow with the data: ``r1data report`` on a run folder of N and
10·N rows, and ``r1data run`` (report included) of the quickstart recipe — verify, filters, select, R1
format — over M and 10·M records, in one session. Prints each peak RSS (the command's own process, from
the kernel's accounting, and its whole process tree sampled every 20 ms) and the ratio at 10× the data.

    .venv/bin/python bench/memory.py [--report-rows 4800] [--run-records 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "src" / "r1data" / "sample" / "math_sample.jsonl"
R1DATA = [sys.executable, "-m", "r1data.cli"]


def peak_rss(cmd: list[str]) -> tuple[float, float, float]:
    """(seconds, peak RSS of the command's process in MB, peak RSS summed over its process tree in MB)."""
    start = time.monotonic()
    # a fresh wrapper per command: RUSAGE_CHILDREN's high-water mark is then this command's own
    wrapper = [sys.executable, "-c", _WRAPPER, *cmd]
    proc = subprocess.Popen(wrapper, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree_peak, done = 0, threading.Event()

    def sample():
        nonlocal tree_peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                tree_peak = max(tree_peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    done.set()
    watcher.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-2000:]}")
    own = int(out.strip().splitlines()[-1]) / 1024  # the largest process of the command, KB → MB
    return time.monotonic() - start, own, tree_peak / 2**20


_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


def replicated_records(path: Path, n: int) -> None:
    rows = []
    for line in SAMPLE.read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # the sample's deliberately malformed lines
        if isinstance(row, dict) and isinstance(row.get("id"), str) and row.get("completions"):
            rows.append(row)
    with open(path, "w") as f:
        for i in range(n):
            row = dict(rows[i % len(rows)])
            row["id"] = f"{row['id']}-{i}"
            f.write(json.dumps(row) + "\n")


def recipe(path: Path, data: Path) -> None:
    text = (REPO / "recipes" / "quickstart.yaml").read_text()
    lines = [line for line in text.splitlines() if not line.strip().startswith("path:")]
    out = []
    for line in lines:
        out.append(line)
        if line.strip() == "input:":
            out.append(f"  path: {data}")
    path.write_text("\n".join(out) + "\n")


def report_folder(source: Path, dest: Path, rows: int) -> None:
    """A run folder of ``rows`` published rows: the quickstart's rows repeated with new ids."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(next((source / "data").glob("*.parquet")))
    reps = -(-rows // table.num_rows)
    parts = []
    for r in range(reps):
        ids = pa.array([f"{i}-{r}" for i in table.column("id").to_pylist()])
        parts.append(table.set_column(table.schema.get_field_index("id"), "id", ids))
    big = pa.concat_tables(parts).slice(0, rows)
    (dest / "data").mkdir(parents=True)
    for k in range(0, rows, 20_000):
        # row groups of 1,000 rows, as r1data writes them (output.rows_per_group)
        pq.write_table(
            big.slice(k, 20_000), dest / "data" / f"train-{k // 20_000:05d}.parquet", row_group_size=1000
        )
    for name in ("stats.json", "recipe.json"):
        shutil.copy(source / name, dest / name)
    shutil.copytree(source / "work", dest / "work")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report-rows", type=int, default=4800)
    parser.add_argument("--run-records", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="r1data-bench-mem-"))
    try:
        quick = work / "quick"
        subprocess.run([*R1DATA, "run", str(REPO / "recipes/quickstart.yaml"), "-o", str(quick), "-q"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        print("r1data report on a run folder of N and 10·N published rows")
        peaks = []
        for rows in (args.report_rows, 10 * args.report_rows):
            folder = work / f"report{rows}"
            report_folder(quick, folder, rows)
            seconds, own, tree = peak_rss([*R1DATA, "report", str(folder)])
            peaks.append(own)
            print(f"  {rows:>8,} rows: {seconds:6.1f} s, peak RSS {own:7.1f} MB (tree {tree:7.1f} MB)")
        print(f"  ratio at 10× the rows: {peaks[1] / peaks[0]:.2f}")
        print("r1data run (quickstart recipe, report included) on M and 10·M records")
        peaks = []
        for n in (args.run_records, 10 * args.run_records):
            data, rec = work / f"in{n}.jsonl", work / f"r{n}.yaml"
            replicated_records(data, n)
            recipe(rec, data)
            seconds, own, tree = peak_rss([*R1DATA, "run", str(rec), "-o", str(work / f"run{n}"), "-q"])
            peaks.append(own)
            print(f"  {n:>8,} records: {seconds:6.1f} s, peak RSS {own:7.1f} MB (tree {tree:7.1f} MB)")
        print(f"  ratio at 10× the records: {peaks[1] / peaks[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
