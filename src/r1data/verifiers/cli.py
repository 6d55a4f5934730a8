"""``r1data verify IN OUT``: stream prompt records through the verifiers, in constant memory."""

from __future__ import annotations

import collections
import os
import time

import orjson
from tqdm import tqdm

from r1data.io.writers import open_output
from r1data.verifiers.judge import JudgeClient, iter_judged
from r1data.verifiers.registry import CHECKERS, checker_pool
from r1data.verifiers.runner import iter_verified, mark_unverified


def verify_file(
    input_path: str,
    output_path: str,
    workers: int | None = None,
    timeout_s: float | None = None,
    quarantine: str | None = None,
    progress: bool = True,
    judge=None,
) -> str:
    """Verify every completion of every record in ``input_path``; returns a one-paragraph summary.
    ``judge`` (a :class:`~r1data.verifiers.judge.JudgeConfig`) turns the LLM-judge cascade on."""
    from r1data.io.readers import RecordReader

    if not os.path.isfile(input_path):
        raise FileNotFoundError(f"no such input file: {input_path}")
    quarantine = quarantine or output_path + ".quarantine.jsonl"
    reader = RecordReader.for_file(input_path, quarantine)
    labels: collections.Counter[str] = collections.Counter()
    start, n_records = time.monotonic(), 0
    records = (doc.metadata for doc in reader.run())
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open_output(output_path) as out, tqdm(desc="verify", unit="record", disable=not progress) as bar:
        pools = {domain: checker_pool(spec, workers, timeout_s) for domain, spec in CHECKERS.items()}
        try:
            stream = records
            for domain, pool in pools.items():
                pool.__enter__()
                stream = iter_verified(pool, stream, domain)
            stream = mark_unverified(stream)
            if judge is not None:
                stream = iter_judged(JudgeClient(judge), stream)
            for record in stream:
                for c in record.get("completions", ()):
                    labels[c["verdict"]["label"]] += 1
                out.write(orjson.dumps(record) + b"\n")
                n_records += 1
                bar.update()
        finally:
            for pool in pools.values():
                pool.close()
    stats = reader.stats.stats
    n_quarantined = int(stats["quarantined"].total)
    elapsed = time.monotonic() - start
    n_completions = sum(labels.values())
    return (
        f"verified {n_records} records, {n_completions} completions in {elapsed:.1f}s "
        f"({n_completions / max(elapsed, 1e-9):.1f}/s): pass {labels['pass']}, fail {labels['fail']}, "
        f"unknown {labels['unknown']}; quarantined {n_quarantined} line(s)"
        + (f" → {quarantine}" if n_quarantined else "")
        + f"\noutput: {output_path}"
    )
