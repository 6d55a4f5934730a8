"""The verifier's measured agreement with labelled data: a recipe's ``card: {calibration: …}``.

A calibration set is a JSONL file of prompt records with completions whose correctness a grader or a
person has labelled — r1data's own layout (each completion's ``label``: true/false), or another tool's
through a column mapping with ``label: FIELD`` naming the raw records' field that holds one label per
completion (a list, or one value for one completion; e.g. the ``score`` of Qwen2.5-Math's and
SkyThought's dumps). The run's rule verifiers score it (domains without one are counted as
``no_rule_verifier``; an LLM judge the recipe uses is not measured here); the card reports the agreement, false
accepts and false rejects, so a reader knows how far the verdicts behind the rows can be trusted.
"""

from __future__ import annotations


def _raw_lines(path: str) -> list[dict]:
    from r1data.io.readers import read_jsonl

    return list(read_jsonl(path))


_TRUE, _FALSE = {"true", "1", "yes", "pass", "correct"}, {"false", "0", "no", "fail", "incorrect"}


def _label(value, path: str, index: int) -> bool | None:
    """A label as a bool (None: no label). Strings are read as words, not by truthiness ("false" is false)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"calibration {path}, record {index}: label {value!r} is not true/false")


def calibrate(
    path: str, mapping: dict | None = None, label: str | None = None, workers: int | None = None
) -> dict:
    from r1data.io.mapping import ColumnMapping
    from r1data.verifiers.registry import VERIFIERS, verifier_pool
    from r1data.verifiers.stream import iter_verified

    raw = _raw_lines(path)
    mapper = ColumnMapping(mapping) if mapping else None
    records = []
    for i, row in enumerate(raw):
        record = mapper(row) if mapper else dict(row)
        record.setdefault("id", str(i))
        record.setdefault("domain", "math")
        labels = row.get(label) if label else [c.get("label") for c in record.get("completions") or []]
        labels = labels if isinstance(labels, list) else [labels]
        completions = record.get("completions") or []
        if len(labels) != len(completions):
            raise ValueError(
                f"calibration {path}, record {i}: {len(labels)} labels for {len(completions)} completions"
            )
        for c, value in zip(completions, labels, strict=True):
            c["_label"] = _label(value, path, i)
        records.append(record)
    out, unverifiable = [], 0
    for domain in sorted({r["domain"] for r in records}):
        of_domain = [r for r in records if r["domain"] == domain]
        if domain not in VERIFIERS:  # no rule verifier: the run's judge, if any, is not measured here
            unverifiable += sum(len(r.get("completions") or []) for r in of_domain)
            continue
        with verifier_pool(VERIFIERS[domain], workers) as pool:
            out += list(iter_verified(pool, of_domain, domain))
    pairs = [(c.get("correct"), c["_label"]) for r in out for c in r.get("completions") or []]
    unlabelled = sum(lab is None for _, lab in pairs)
    decided = [(v, lab) for v, lab in pairs if v is not None and lab is not None]
    agree = sum(v == lab for v, lab in decided)
    return {
        "path": path,
        "pairs": len(pairs) + unverifiable,
        "unlabelled": unlabelled,
        "no_rule_verifier": unverifiable,
        "undecided": len(pairs) - len(decided) - unlabelled,
        "agreement": round(agree / len(decided), 4) if decided else None,
        "false_accepts": sum(v and not lab for v, lab in decided),
        "false_rejects": sum(lab and not v for v, lab in decided),
    }
