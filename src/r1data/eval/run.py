"""``r1data eval``: score completions (given, or generated first with the generation backends) with the
curation verifiers and write ``metrics.json``, ``results.jsonl`` and ``report.md``."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter, defaultdict
from typing import Any

import orjson
from loguru import logger

from r1data.core.versions import package_versions
from r1data.eval.metrics import mean_and_se, summarise
from r1data.io.files import write_atomic
from r1data.io.profile import describe

#: the scoring choices, written into every metrics.json (what a published number must be compared with)
PROTOCOL = {
    "answer": "the last \\boxed{} of the summary (after the reasoning); without one, the concluding "
    "statement, closing remarks skipped; several different boxed answers are wrong",
    "equivalence": "r1data's math rules, then math-verify (sympy) for what they leave open; an "
    "unevaluated expression equal to a numeric reference counts as correct",
    "code": "the last Python block run against the tests in the sandbox",
    "truncated": "a completion cut by max_tokens (or with its reasoning never closed) counts as wrong; "
    "with --on-truncation close (not the default) a cut reasoning is closed and its summary asked for, "
    "the sample marked forced_close",
    "undecided": "an unknown verdict (a timeout, an unusable reference) counts as wrong",
    "pass@k": "unbiased estimator over n samples (Chen et al., 2021), averaged over prompts",
    "cons@k": "majority vote over the first k samples, answers grouped by equivalence",
}


def load_mapping(path: str) -> dict:
    """A column mapping (``r1data.io.mapping``) from a YAML or JSON file: the keys of a recipe's
    ``input.mapping``, or the file's ``mapping:`` section."""
    return read_mapping_file(path)[0]


def read_mapping_file(path: str) -> tuple[dict, str | None]:
    """``(mapping, benchmark)`` of a mapping file: its ``mapping:`` section (or the whole file) and the
    ``benchmark:`` its rows come from, when it names one (``--compare`` shows the figure under it)."""
    from r1data.core.recipes import read_yaml

    data = read_yaml(path, expand=False)
    benchmark = data.get("benchmark") if isinstance(data, dict) and "mapping" in data else None
    mapping = data.get("mapping", data) if isinstance(data, dict) else data
    if not isinstance(mapping, dict):
        raise ValueError(f"{path}: a mapping is a dict of target: spec (see `r1data eval --help`)")
    return mapping, (str(benchmark) if benchmark else None)


def benchmark_of_file(path: str | None) -> str | None:
    """The built-in benchmark a file's name says it holds (``…--math500.jsonl`` → ``math500``).

    >>> benchmark_of_file("Qwen--Qwen2.5-14B-Instruct--math500.jsonl"), benchmark_of_file("mine.jsonl")
    ('math500', None)
    """
    from r1data.io.benchmarks import ALIASES, BENCHMARKS

    if not path:
        return None
    stem = os.path.basename(path).lower()
    names = sorted([*BENCHMARKS, *ALIASES], key=len, reverse=True)
    found = next((n for n in names if re.search(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])", stem)), None)
    return ALIASES.get(found, found)


def load_records(path: str, mapping: dict | None = None, quarantine: str | None = None) -> list[dict]:
    """Prompt records through the one reader of input (:class:`~r1data.io.readers.RecordReader`):
    validated, through ``mapping`` when given (outputs of other tools: SkyThought, Qwen2.5-Math dumps),
    bad lines quarantined with their reason in ``quarantine`` (default: a temporary file, whose reasons
    are said when no record is left)."""
    import tempfile

    from r1data.io.readers import RecordReader

    with tempfile.TemporaryDirectory(prefix="r1data-eval-") as tmp:
        reader = RecordReader.for_file(path, quarantine or os.path.join(tmp, "quarantine.jsonl"), mapping)
        records = [{"domain": "math", **doc.metadata} for doc in reader.run()]  # the schema's default domain
        counts = {k: int(v.total) for k, v in reader.stats.stats.items() if k.startswith("quarantined_")}
    if not records:
        reasons = (
            ", ".join(f"{k.removeprefix('quarantined_')}: {v}" for k, v in sorted(counts.items()))
            or "no lines"
        )
        hint = "" if mapping else _mapping_hint(path)
        raise ValueError(f"{path} holds no usable record ({reasons}){hint}")
    return records


def _mapping_hint(path: str) -> str:
    """What a foreign file's rows hold, and the ``--mapping`` that would read them."""
    from r1data.io.readers import read_jsonl

    try:
        first = next(iter(read_jsonl(path)), None)
    except ValueError:
        return ""
    if not isinstance(first, dict):
        return ""
    return (
        f": its rows have the columns {', '.join(sorted(first))}; give --mapping FILE naming them, e.g. a "
        "YAML file `mapping: {id: idx, prompt: question, reference.answer: gt, completions: code}` "
        "(see the eval guide)"
    )


def _write_jsonl(path: str, records: list[dict]) -> None:
    write_atomic(path, b"".join(orjson.dumps(r) + b"\n" for r in records))


def generate(records: list[dict], output_dir: str, config, seeds: list[int] | None) -> list[dict]:
    """Completions for ``records`` from the configured backend (the generators' API, one backend for
    every seed: the vLLM engine loads once), once per seed, each resumable through its request cache
    in ``output_dir`` and written as ``generations[-seedS].jsonl``; the samples of all seeds are pooled
    per record."""
    import copy

    from r1data.generators.generate import RequestCache, generate_records
    from r1data.generators.generate_step import build_backend, build_rollout

    backend = build_backend(config)
    pooled: dict[str, dict] = {}
    failed: dict[str, list[str]] = {}
    for seed in seeds or [config.seed]:
        c = config.model_copy(update={"seed": seed})
        rollout = build_rollout(c.method, c.n, c.r1_conventions, c.think_prefix, **c.rollout_options())
        out = os.path.join(output_dir, f"generations{f'-seed{seed}' if seeds else ''}.jsonl")
        prompts = [{k: copy.deepcopy(v) for k, v in r.items() if k != "completions"} for r in records]
        cache, done = RequestCache(out + ".cache.sqlite"), []
        try:
            for record, reasons in generate_records(
                prompts, backend, rollout, c.params(), cache, c.requests_at_once, ladder=c.ladder()
            ):
                if reasons:
                    failed[record["id"]] = reasons
                    continue
                done.append(record)
                for completion in record.get("completions", []):
                    completion["seed"] = seed
                if record["id"] in pooled:
                    pooled[record["id"]]["completions"] += record["completions"]
                else:
                    pooled[record["id"]] = copy.deepcopy(record)
        finally:
            cache.close()
        _write_jsonl(out, done)
    missing = [r["id"] for r in records if r["id"] not in pooled or r["id"] in failed]
    if missing:
        reasons = sorted({reason for rid in missing for reason in failed.get(rid, ["no reply"])})
        raise RuntimeError(
            f"generation failed for {len(missing)} prompt(s), e.g. {missing[:3]} ({', '.join(reasons)}); "
            "run the same command again to retry them (finished requests are cached)"
        )
    return [pooled[r["id"]] for r in records]


def verify(records: list[dict], workers: int | None = None) -> list[dict]:
    from r1data.verifiers.registry import VERIFIERS, verifier_pool
    from r1data.verifiers.stream import iter_verified

    out = records
    for domain in sorted({r["domain"] for r in records}):
        if domain not in VERIFIERS:
            raise ValueError(f"no rule verifier for domain {domain!r} (known: {', '.join(VERIFIERS)})")
        with verifier_pool(VERIFIERS[domain], workers) as pool:
            out = list(iter_verified(pool, out, domain))
    return out


def _per_prompt(record: dict) -> dict:
    from r1data.core.completion import final_answer

    completions = record.get("completions") or []
    math = record["domain"] == "math"
    return {
        "correct": [c.get("correct") is True for c in completions],
        "answers": [final_answer(c) if math else None for c in completions],
    }


def _lengths(records: list[dict]) -> dict:
    chars, tokens, truncated, total = Counter(), Counter(), 0, 0
    first_cut = forced = 0
    for r in records:
        for c in r.get("completions") or []:
            total += 1
            chars[len(c.get("text", ""))] += 1
            t = (
                (c.get("tokens") or {}).get("completion")
                if isinstance(c.get("tokens"), dict)
                else c.get("completion_tokens")
            )
            if t is not None:
                tokens[int(t)] += 1
            reason = (c.get("verdict") or {}).get("reason")
            truncated += c.get("finish_reason") == "length" or reason == "truncated"
            first_cut += bool(c.get("ladder")) and c["ladder"][0]["finish_reason"] == "length"
            forced += bool(c.get("forced_close"))
    return {
        "chars": describe(chars),
        "tokens": describe(tokens),
        "truncation_rate": truncated / total if total else 0.0,
        # with a budget ladder: cut at the first budget (before any rescue), closed by force
        "first_budget_cap_hit_rate": first_cut / total if total else 0.0,
        "forced_close_rate": forced / total if total else 0.0,
    }


def evaluate(
    input_path: str | None,
    output_dir: str,
    k: int | None = None,
    generation=None,
    seeds: list[int] | None = None,
    benchmark: str | None = None,
    benchmark_path: str | None = None,
    workers: int | None = None,
    mapping: dict | None = None,
    label: str | None = None,
    benchmark_name: str | None = None,
) -> dict:
    """Score (after generating, when records have no completions) and write ``metrics.json``,
    ``results.jsonl`` and ``report.md``. ``label`` names the model of a scored file (``--model``);
    ``benchmark_name`` the benchmark its rows come from (else ``--benchmark``, else the file's name)."""
    from r1data.generators.config import check_model_path
    from r1data.io.benchmarks import benchmark_records

    start = time.monotonic()
    records = benchmark_records(benchmark, benchmark_path) if benchmark else load_records(input_path, mapping)
    if any(not r.get("completions") for r in records):
        if generation is None or not (generation.endpoints or generation.vllm_model):
            raise ValueError(
                "some records have no completions: give --endpoint URL --model NAME -n K or "
                "--vllm-model PATH -n K to generate them"
            )
        check_model_path(generation.vllm_model)
    os.makedirs(output_dir, exist_ok=True)  # once the input is known to be usable
    if any(not r.get("completions") for r in records):
        records = generate(records, output_dir, generation, seeds)
    named = benchmark or benchmark_name or benchmark_of_file(input_path)
    for r in records if named else ():
        r.setdefault("benchmark", named)
    records = verify(records, workers)
    per_prompt = [_per_prompt(r) for r in records]
    n_min = min(len(p["correct"]) for p in per_prompt)
    if k and k > n_min:
        logger.warning(
            f"--k {k} is more than the {n_min} samples of the smallest prompt: cons@{n_min} is reported"
        )
    metrics: dict[str, Any] = summarise(per_prompt, k or n_min)
    metrics["k_requested"] = k
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    votes: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r, p in zip(records, per_prompt, strict=True):
        rate = sum(p["correct"]) / len(p["correct"]) if p["correct"] else 0.0
        vote = 1.0 if p["majority_index"] is not None and p["correct"][p["majority_index"]] else 0.0
        for key, name in [("benchmark", str(r.get("benchmark") or r.get("source") or "all")),
                          *((key, str(r[key])) for key in ("subject", "level") if key in r)]:  # fmt: skip
            groups[key][name].append(rate)
            votes[key][name].append(vote)
    metrics["groups"] = {
        key: {
            name: dict(zip(("pass@1", "pass@1_se"), mean_and_se(v), strict=True))
            | {"cons@k": mean_and_se(votes[key][name])[0], "n_prompts": len(v)}
            for name, v in sorted(values.items())
        }
        for key, values in groups.items()
    }
    if seeds and len(seeds) > 1:
        per_seed = []
        for seed in seeds:
            rates = [
                sum(c.get("correct") is True for c in r["completions"] if c.get("seed") == seed)
                / max(1, sum(c.get("seed") == seed for c in r["completions"]))
                for r in records
            ]
            per_seed.append(sum(rates) / len(rates))
        metrics["seeds_pass@1"] = {
            "per_seed": per_seed,
            "min": min(per_seed),
            "max": max(per_seed),
            "spread": max(per_seed) - min(per_seed),
        }
    metrics["protocol"] = PROTOCOL
    metrics["lengths"] = _lengths(records)
    metrics["sampling"] = (
        {
            f: getattr(generation, f)
            for f in (
                "max_tokens",
                "on_truncation",
                "temperature",
                "top_p",
                "think_prefix",
                "n",
                "model",
                "vllm_model",
            )
        }
        if generation is not None and (generation.endpoints or generation.vllm_model)
        else None
    )
    metrics["model"] = (
        label or (metrics["sampling"] or {}).get("model") or (metrics["sampling"] or {}).get("vllm_model")
    )
    metrics["seeds"] = seeds
    metrics["benchmark"] = named
    metrics["input"] = input_path or benchmark_path
    metrics["versions"] = package_versions()
    metrics["seconds"] = round(time.monotonic() - start, 1)
    results = []
    for r, p in zip(records, per_prompt, strict=True):
        winner = p["majority_index"]
        results.append(
            {
                **r,
                "n_samples": len(p["correct"]),
                "n_correct": sum(p["correct"]),
                "majority_answer": p["answers"][winner] if winner is not None else None,
                "majority_share": p["majority_share"],
                "majority_correct": bool(winner is not None and p["correct"][winner]),
            }
        )
    _write_jsonl(os.path.join(output_dir, "results.jsonl"), results)
    write_atomic(
        os.path.join(output_dir, "metrics.json"), json.dumps(metrics, indent=2, ensure_ascii=False).encode()
    )
    write_atomic(os.path.join(output_dir, "report.md"), report(metrics).encode())
    return metrics


def _pct(value: float | None, se: float | None = None) -> str:
    if value is None or value != value:
        return "—"
    return f"{100 * value:.1f}" + (f" ± {100 * se:.1f}" if se is not None and se == se else "")


def report(metrics: dict) -> str:
    """One evaluation as a markdown table."""
    ks = [k for k in ("1", "2", "4", "8", "16", "32", "64") if k in metrics["pass@k"]]
    lines = [
        f"# Evaluation{' of ' + metrics['model'] if metrics.get('model') else ''}",
        "",
        f"{metrics['n_prompts']} prompts, {metrics['n_samples']} samples; cons@{metrics['k']} by answer equivalence.",
        "",
        "| metric | value (%) |",
        "|---|---|",
        f"| pass@1 | {_pct(metrics['pass@1'], metrics['pass@1_se'])} |",
        *[f"| pass@{k} | {_pct(metrics['pass@k'][k], metrics['pass@k_se'][k])} |" for k in ks if k != "1"],
        f"| cons@{metrics['k']} | {_pct(metrics['cons@k'], metrics['cons@k_se'])} |",
        f"| truncated | {_pct(metrics['lengths']['truncation_rate'])} |",
    ]
    for key, values in metrics.get("groups", {}).items():
        if len(values) > 1 or key != "benchmark":
            lines += ["", f"| {key} | prompts | pass@1 (%) |", "|---|---|---|"]
            lines += [
                f"| {name} | {v['n_prompts']} | {_pct(v['pass@1'], v['pass@1_se'])} |"
                for name, v in values.items()
            ]
    return "\n".join(lines) + "\n"


def compare(folders: list[str]) -> str:
    """Several evaluation folders side by side: models × benchmarks, pass@1 (cons@k) — each benchmark in its
    own column, a folder that scored several benchmarks split by its records' benchmark."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    benches: list[str] = []
    for folder in folders:
        path = os.path.join(folder, "metrics.json")
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"{folder} has no metrics.json (give folders written by `r1data eval --output`)"
            )
        with open(path) as f:
            m = json.load(f)
        model = m.get("model") or os.path.basename(os.path.normpath(folder))
        for bench, g in (m.get("groups", {}).get("benchmark") or {m.get("benchmark") or "all": m}).items():
            if bench not in benches:
                benches.append(bench)
            table[model][bench] = f"{_pct(g['pass@1'])} ({_pct(g.get('cons@k', m['cons@k']))})"
    lines = ["| model | " + " | ".join(benches) + " |", "|---|" + "---|" * len(benches)]
    for model, cells in table.items():
        lines.append(f"| {model} | " + " | ".join(cells.get(b, "—") for b in benches) + " |")
    return "\n".join(lines) + "\n\npass@1 % (cons@k %)\n"
