"""``r1data view`` at scale: time to the first page and to a ready index, and the peak memory of the
process that serves, for a small and a large synthetic run folder (dropped samples in
``excluded/``, kept rows in Parquet), in one run.

    .venv/bin/python bench/view.py [--sizes 10000 1000000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time


def make_folder(folder: str, n: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(os.path.join(folder, "excluded", "verify"), exist_ok=True)
    os.makedirs(os.path.join(folder, "data"), exist_ok=True)
    dropped = n // 2
    with gzip.open(
        os.path.join(folder, "excluded", "verify", "00_verify_00000.jsonl.gz"), "wt", compresslevel=1
    ) as f:
        for i in range(dropped // 4):
            completions = [{"text": f"<think>\nstep {i} {j} " + "word " * 200 + f"\n</think>\n\n$x = {j}$",
                            "sample_index": j, "verdict": {"label": "fail", "reason": "not_equivalent", "verifier": "math"},
                            "excluded_reason": "fail_not_equivalent"} for j in range(4)]  # fmt: skip
            f.write(
                json.dumps(
                    {"id": f"p{i}", "domain": "math", "prompt": f"question {i}?", "completions": completions}
                )
                + "\n"
            )
    kept = n - dropped
    writer = None
    for start in range(0, kept, 10_000):
        rows = range(start, min(kept, start + 10_000))
        table = pa.table({
            "id": [f"k{i}/0" for i in rows], "prompt_id": [f"k{i}" for i in rows], "sample_index": [0] * len(rows),
            "completion": [[{"role": "assistant", "content": "<think>\n" + "word " * 200 + "\n</think>\n\n$1$"}] for _ in rows],
            "domain": ["math"] * len(rows), "verdict_label": ["pass"] * len(rows), "verifier": ["math"] * len(rows),
        })  # fmt: skip
        writer = writer or pq.ParquetWriter(
            os.path.join(folder, "data", "train-00000-of-00001.parquet"), table.schema
        )
        writer.write_table(table, row_group_size=1000)
    writer.close()
    stats = {"funnel": {"records": {"in": dropped // 4 + kept, "ok": dropped // 4 + kept, "quarantined": 0},
             "completions": {"in": n, "kept": kept, "dropped": dropped, "dropped_by_reason": {"fail_not_equivalent": dropped}}}}  # fmt: skip
    with open(os.path.join(folder, "stats.json"), "w") as f:
        json.dump(stats, f)


CHILD = """
import json, sys, threading, time, urllib.request, resource
from r1data.view.server import make_server
start = time.monotonic()
server, viewer = make_server(sys.argv[1], "127.0.0.1", 0)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
urllib.request.urlopen(base + "/").read()
first = time.monotonic() - start
viewer.index.wait()
ready = time.monotonic() - start
t = time.monotonic()
json.loads(urllib.request.urlopen(base + "/api/completions?reason=fail_not_equivalent&offset=1000&limit=50").read())
page = time.monotonic() - t
print(json.dumps({"first_page_s": round(first, 3), "index_ready_s": round(ready, 1), "list_page_s": round(page, 3),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "run")
            t = time.monotonic()
            make_folder(folder, n)
            made = time.monotonic() - t
            env = {**os.environ, "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
            out = subprocess.run(
                [sys.executable, "-c", CHILD, folder], capture_output=True, text=True, env=env, check=True
            )
            print(f"{n:>9,} samples (folder made in {made:.0f} s): {out.stdout.strip()}")


if __name__ == "__main__":
    main()
