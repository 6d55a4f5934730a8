"""How often are a run's verdicts wrong on *your* data? ``r1data calibrate`` measures it with a person's
labels, in two steps:

1. **draw**: a stratified sample of the verdicts of a run folder, an eval folder or a verified JSONL —
   strata by verifier, label, reason and domain, plus every completion where an LLM judge overruled
   the rules — written as a labelling sheet (``sheet.jsonl`` and ``sheet.csv``, the same rows): per
   completion the prompt, the reference, the final answer, the end of the completion and the verdict,
   with an empty ``human_label`` column to fill with ``correct`` or ``incorrect``;
2. **measure**: the filled sheet read back (JSONL or CSV; rows left blank are skipped): agreement,
   false-accept rate (incorrect among the verdicts ``pass``) and false-reject rate (correct among the
   others), each with a 95 % interval, per stratum (Wilson) and for the whole folder (the strata
   weighted by their size; the interval the weighted Wilson bounds).

>>> round(wilson(45, 50)[0], 3), round(wilson(45, 50)[1], 3)
(0.786, 0.957)
"""

from __future__ import annotations

import csv
import glob
import json
import math
import os
import random
from collections import defaultdict
from typing import Any

COLUMNS = [
    "sheet_id", "record_id", "sample_index", "domain", "stratum", "stratum_size", "verifier", "label",
    "reason", "judge_overruled", "prompt", "reference", "final_answer", "completion_end", "human_label",
]  # fmt: skip
_CORRECT = {"correct", "true", "1", "yes", "pass", "right", "c"}
_INCORRECT = {"incorrect", "false", "0", "no", "fail", "wrong", "i"}


class CalibrationError(ValueError):
    """A folder without verdicts, a sheet that is not one, a label that is not correct/incorrect."""


def _records_of(source: str) -> list[dict]:
    """Verified records: an eval folder's results, a run folder's stage records (the stage whose
    records carry the most verdicts: the one that verified), or a JSONL file."""
    from r1data.io.readers import read_jsonl

    if os.path.isfile(source):
        return list(read_jsonl(source))
    results = os.path.join(source, "results.jsonl")
    if os.path.isfile(results):
        return list(read_jsonl(results))
    best: list[dict] = []
    for stage in sorted(glob.glob(os.path.join(source, "work", "*"))):
        records = [r for path in sorted(glob.glob(os.path.join(stage, "*.jsonl*"))) for r in read_jsonl(path)]
        if _n_verdicts(records) > _n_verdicts(best):
            best = records
    return best


def _n_verdicts(records: list[dict]) -> int:
    return sum(bool(c.get("verdict")) for r in records for c in r.get("completions") or [])


def _text(value: Any) -> str:
    if isinstance(value, list):  # chat messages
        return "\n".join(str(m.get("content", "")) for m in value if isinstance(m, dict))
    return "" if value is None else str(value)


def verdict_rows(source: str) -> list[dict]:
    """One row per verified completion, with its stratum."""
    from r1data.core.answers import answer_in
    from r1data.core.completion import trace_of
    from r1data.schemas.records import prompt_text

    rows = []
    for record in _records_of(source):
        for position, c in enumerate(record.get("completions") or []):
            v = c.get("verdict")
            if not v:
                continue
            rule = v.get("rule_verdict") or {}
            overruled = bool(rule) and rule.get("label") != v.get("label")
            domain = str(record.get("domain") or "")
            summary = trace_of(c).summary
            rows.append(
                {
                    "record_id": str(record.get("id", "")),
                    "sample_index": c.get("sample_index", position),
                    "domain": domain,
                    "stratum": "/".join(
                        [str(v.get("verifier")), str(v.get("label")), str(v.get("reason")), domain]
                    )
                    + ("/judge_overruled" if overruled else ""),
                    "verifier": v.get("verifier"),
                    "label": v.get("label"),
                    "reason": v.get("reason"),
                    "judge_overruled": overruled,
                    "prompt": prompt_text(record) or _text(record.get("prompt")),
                    "reference": json.dumps(record.get("reference"), ensure_ascii=False),
                    "final_answer": answer_in(summary) if domain != "code" else "",
                    "completion_end": _text(c.get("text"))[-1500:],
                }
            )
    if not rows:
        raise CalibrationError(
            f"{source}: no verdicts to calibrate (give an r1data run folder, an eval folder, or a JSONL of "
            "records whose completions have a `verdict`)"
        )
    return rows


def draw(rows: list[dict], per_stratum: int = 20, seed: int = 0) -> list[dict]:
    """Up to ``per_stratum`` rows of every stratum (all of a smaller one), each row with its stratum's
    size, in a fixed order for a seed."""
    by_stratum: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_stratum[row["stratum"]].append(row)
    rng = random.Random(seed)
    sample = []
    for name in sorted(by_stratum):
        members = by_stratum[name]
        chosen = members if len(members) <= per_stratum else rng.sample(members, per_stratum)
        sample += [{**row, "stratum_size": len(members)} for row in chosen]
    return [{"sheet_id": i, **row, "human_label": ""} for i, row in enumerate(sample)]


def write_sheet(sample: list[dict], folder: str) -> tuple[str, str]:
    """``sheet.jsonl`` and ``sheet.csv`` (the same rows, ``COLUMNS`` in order) in ``folder``."""
    from r1data.io.files import write_atomic

    os.makedirs(folder, exist_ok=True)
    jsonl = os.path.join(folder, "sheet.jsonl")
    write_atomic(
        jsonl,
        "".join(json.dumps({k: r[k] for k in COLUMNS}, ensure_ascii=False) + "\n" for r in sample).encode(),
    )
    path = os.path.join(folder, "sheet.csv")
    with open(path + ".tmp", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in sample)
    os.replace(path + ".tmp", path)
    return jsonl, path


def read_sheet(path: str) -> list[dict]:
    """The labelled rows of a filled sheet (blank ``human_label`` skipped), each with ``human``:
    True (correct) or False (incorrect)."""
    if path.endswith(".csv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        from r1data.io.readers import read_jsonl

        rows = list(read_jsonl(path))
    if not rows or "human_label" not in rows[0] or "stratum" not in rows[0]:
        raise CalibrationError(f"{path}: not a labelling sheet (no human_label / stratum column)")
    labelled = []
    for line, row in enumerate(rows, start=2 if path.endswith(".csv") else 1):
        value = str(row.get("human_label") or "").strip().lower()
        if not value:
            continue
        if value not in _CORRECT | _INCORRECT:
            raise CalibrationError(
                f"{path}:{line}: human_label {row['human_label']!r} is neither correct nor incorrect"
            )
        labelled.append({**row, "human": value in _CORRECT, "stratum_size": int(row["stratum_size"])})
    if not labelled:
        raise CalibrationError(f"{path}: no row has a human_label yet (fill it with correct or incorrect)")
    return labelled


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _stratified(strata: list[tuple[int, int, int]]) -> dict | None:
    """A stratified estimate from ``(stratum size, hits, labelled)`` triples: Σ W_h p_h, with the
    interval Σ W_h [Wilson low_h, Wilson high_h] (conservative, and never of zero width when a small
    sample happens to agree everywhere)."""
    strata = [s for s in strata if s[2] > 0]
    total = sum(size for size, _, _ in strata)
    if not total:
        return None
    estimate = low = high = 0.0
    for size, hits, n in strata:
        weight = size / total
        estimate += weight * hits / n
        lo, hi = (hits / n, hits / n) if n >= size else wilson(hits, n)  # a stratum labelled in full is exact
        low, high = low + weight * lo, high + weight * hi
    return {"rate": round(estimate, 4), "ci95": [round(low, 4), round(high, 4)]}


def measure(rows: list[dict], sheet: str = "") -> dict:
    """Agreement, false accepts and false rejects of the verdicts against the labels: per stratum and,
    weighted by the strata's sizes, for everything the sheet was drawn from."""
    by_stratum: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_stratum[row["stratum"]].append(row)
    strata, agree, fa, fr = [], [], [], []
    for name in sorted(by_stratum):
        members = by_stratum[name]
        size, n = members[0]["stratum_size"], len(members)
        passed = members[0]["label"] == "pass"
        agreeing = sum(r["human"] == passed for r in members)
        low, high = wilson(agreeing, n)
        strata.append({"stratum": name, "size": size, "labelled": n, "agreement": round(agreeing / n, 4),
                       "ci95": [round(low, 4), round(high, 4)]})  # fmt: skip
        agree.append((size, agreeing, n))
        (fa if passed else fr).append((size, n - agreeing, n))
    labelled = len(rows)
    return {
        "sheet": os.path.basename(sheet) if sheet else None,
        "labelled": labelled,
        "completions": sum(s["size"] for s in strata),
        "agreement": _stratified(agree),
        "false_accept_rate": _stratified(fa),  # incorrect among the verdicts `pass`
        "false_reject_rate": _stratified(fr),  # correct among `fail` and `unknown`
        "false_accepts": sum(s[1] for s in fa),
        "false_rejects": sum(s[1] for s in fr),
        "strata": strata,
    }
