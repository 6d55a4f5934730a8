"""Data truth: how often r1data's verdicts match labelled data, against plain math-verify, and how
well the mixed-language flag finds foreign sentences in every language.

Math: on every file of ../shared/data/model_outputs, agreement of r1data and of plain math-verify
(``verify(parse(gold), parse(completion))``) with the file's own grader labels, the false accepts of
each (a pass where the label says wrong), and every completion where r1data and the label disagree
(index, our verdict, label, the end of the completion) so that each can be settled by reading.

Language: precision and recall of ``mixed`` on synthetic chains of thought built from real sentences
(../shared/data/multilingual/lingua_sentences): 8 sentences of the target (English or Chinese) with
LaTeX, and in half of them 1-3 sentences of another language inserted, for every one of the 75
languages; then the false flags on real unmixed chains of thought (the English model outputs, heavy
in LaTeX, names and code; Chinese chains of thought over the Chinese problems).

    .venv/bin/python bench/accuracy.py [--docs 60] [--skip-math] [--skip-language]
"""

from __future__ import annotations

import sys
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # the repository: its tests.doubles

import argparse
import json
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_outputs(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        r = json.loads(line)
        records.append(
            {
                "id": str(r["idx"]),
                "domain": "math",
                "prompt": r["question"],
                "reference": {"answer": str(r["gt"])},
                "completions": [{"text": t} for t in r["code"]],
                "score": [bool(s) for s in r["score"]],
            }
        )
    return records


def math_accuracy() -> None:
    from math_verify import parse, verify

    from r1data.verifiers.pool import BoundedPool
    from r1data.verifiers.stream import iter_verified

    print("math: agreement with each file's labels (false accepts: pass where the label is wrong)")
    print(f"{'file':<58} {'pairs':>6} {'math-verify':>12} {'FA':>4} {'r1data':>8} {'FA':>4}")
    totals = [0, 0, 0, 0, 0]
    disagreements = []
    with BoundedPool("r1data.verifiers.math_verifier:MathVerifier", timeout_s=20) as pool:
        for path in sorted((SHARED / "model_outputs").glob("*.jsonl")):
            records = load_outputs(path)
            labels = [s for r in records for s in r["score"]]
            plain = [
                bool(verify(parse("\\boxed{" + r["reference"]["answer"] + "}"), parse(c["text"])))
                for r in records
                for c in r["completions"]
            ]
            verified = list(iter_verified(pool, records, "math"))
            ours = [c["correct"] is True for r in verified for c in r["completions"]]
            n = len(labels)
            plain_ok = sum(p == y for p, y in zip(plain, labels, strict=True))
            ours_ok = sum(o == y for o, y in zip(ours, labels, strict=True))
            plain_fa = sum(p and not y for p, y in zip(plain, labels, strict=True))
            ours_fa = sum(o and not y for o, y in zip(ours, labels, strict=True))
            totals = [t + v for t, v in zip(totals, (n, plain_ok, plain_fa, ours_ok, ours_fa), strict=True)]
            print(
                f"{path.name[:58]:<58} {n:>6} {plain_ok / n:>11.2%} {plain_fa:>4} {ours_ok / n:>7.2%} {ours_fa:>4}"
            )
            for r in verified:
                for i, (c, y) in enumerate(zip(r["completions"], r["score"], strict=True)):
                    if (c["correct"] is True) != y:
                        tail = c["text"][-160:].replace("\n", " ")
                        disagreements.append(
                            f"  {path.name[:24]} idx={r['id']} sample={i}: r1data {c['verdict']['label']}/"
                            f"{c['verdict']['reason']}, label {y}, gold {r['reference']['answer']!r} … {tail!r}"
                        )
    n, plain_ok, plain_fa, ours_ok, ours_fa = totals
    print(f"{'all':<58} {n:>6} {plain_ok / n:>11.2%} {plain_fa:>4} {ours_ok / n:>7.2%} {ours_fa:>4}")
    print(f"\n{len(disagreements)} disagreements of r1data with the labels (settled by reading: README):")
    print("\n".join(disagreements))


CLOSINGS = [
    "",
    " All the steps check out; I'm confident in it.",
    " That should be the final answer, unless I misread the problem.",
    " I double-checked the computation.",
    " Let me know if you would like me to explain any step in more detail.",
    "\n\nThis is consistent with the estimate above, so I am fairly sure it is right.",
]


def unboxed_accuracy() -> None:
    """The same real completions with their final box removed ("… is $\\boxed{X}$." → "… is X.") and a
    closing remark appended: the verdict should not change (agreement with the boxed verdict)."""
    import random
    import re

    from r1data.core.answers import boxed_contents
    from r1data.verifiers.pool import BoundedPool
    from r1data.verifiers.stream import iter_verified

    rng = random.Random(0)
    boxed_records, unboxed_records = [], []
    for path in sorted((SHARED / "model_outputs").glob("*.jsonl")):
        for r in load_outputs(path):
            pairs = []
            for c in r["completions"]:
                text = c["text"]
                boxes = boxed_contents(text[-2000:])
                if len(boxes) != 1 or "\\boxed" not in text[-2000:]:
                    continue
                start = text.rindex("\\boxed")
                bare = boxes[0] if re.search(r"[\\^_{}]", boxes[0]) is None else "$" + boxes[0] + "$"
                statement = (text[:start].rstrip("$( \\[\n") + " " + bare).rstrip() + "."
                pairs.append(({"text": text}, {"text": statement + rng.choice(CLOSINGS)}))
            if pairs:
                boxed_records.append({**r, "completions": [a for a, _ in pairs]})
                unboxed_records.append({**r, "completions": [b for _, b in pairs]})
    with BoundedPool("r1data.verifiers.math_verifier:MathVerifier", timeout_s=20) as pool:
        boxed = [
            c["correct"] is True for r in iter_verified(pool, boxed_records, "math") for c in r["completions"]
        ]
        unboxed = [
            c["correct"] is True
            for r in iter_verified(pool, unboxed_records, "math")
            for c in r["completions"]
        ]
    same = sum(a == b for a, b in zip(boxed, unboxed, strict=True))
    gained = sum(b and not a for a, b in zip(boxed, unboxed, strict=True))
    print(
        f"\nunboxed answers with closing remarks (real completions, final box removed): {same}/{len(boxed)} "
        f"verdicts unchanged ({same / len(boxed):.2%}); {gained} pass only unboxed (would be false accepts)"
    )


def language_accuracy(docs: int) -> None:
    from tests.doubles.language_mixtures import build_mixtures, evaluate

    from r1data.verifiers.language import detect_language, language_consistency

    folder = SHARED / "multilingual" / "lingua_sentences"
    languages = sorted(p.stem for p in folder.glob("*.txt"))
    print(f"\nlanguage: mixed flag on {docs} chains of thought per pair (half with 1-3 inserted sentences)")
    worst = []
    for target in ("en", "zh"):
        pairs = [(target, lang) for lang in languages if lang != target]
        mixtures = build_mixtures(folder, pairs, docs_per_pair=docs, seed=1)
        totals = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
        start = time.perf_counter()
        per_pair = []
        for i, (_, inserted) in enumerate(pairs):
            r = evaluate(mixtures[i * docs : (i + 1) * docs])
            per_pair.append((inserted, r["recall"], r["fp"]))
            for k in totals:
                totals[k] += r[k]
        seconds = time.perf_counter() - start
        mb = sum(len(m.text.encode()) for m in mixtures) / 1e6
        precision = totals["tp"] / max(1, totals["tp"] + totals["fp"])
        recall = totals["tp"] / max(1, totals["tp"] + totals["fn"])
        low = [f"{lang} {rec:.3f}" for lang, rec, _ in per_pair if rec < 0.97]
        worst += [(target, lang, rec) for lang, rec, _ in per_pair]
        print(
            f"  into {target}: {len(pairs)} languages, precision {precision:.4f}, recall {recall:.4f} "
            f"({totals}); {mb / seconds:.1f} MB/s; recall < 0.97: {', '.join(low) or 'none'}"
        )
        print("    per language recall: " + " ".join(f"{lang}:{rec:.2f}" for lang, rec, _ in per_pair))
    flagged = total = 0
    examples = []
    for path in sorted((SHARED / "model_outputs").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            for i, text in enumerate(row["code"]):
                total += 1
                result = language_consistency(text, "en")
                if result["mixed"]:
                    flagged += 1
                    examples.append(
                        f"    {path.name[:20]} idx={row['idx']} sample={i}: {result['foreign'][:3]}"
                    )
    print(f"  real English chains of thought flagged mixed: {flagged}/{total}")
    print("\n".join(examples))
    chinese = []
    for path in sorted((SHARED / "math" / "chinese").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            q = row.get("question") or row.get("problem") or ""
            if detect_language(q) == "zh":
                chinese.append(
                    f"我们先仔细读题。{q} 下面逐步分析，设所求为 $x$，列出方程并求解，再代入验证。"
                )
    zh_flagged = sum(language_consistency(cot, "zh")["mixed"] for cot in chinese)
    print(
        f"  Chinese chains of thought over real Chinese problems flagged mixed: {zh_flagged}/{len(chinese)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=60, help="chains of thought per language pair")
    parser.add_argument("--skip-math", action="store_true")
    parser.add_argument("--skip-language", action="store_true")
    args = parser.parse_args()
    if not args.skip_math:
        math_accuracy()
        unboxed_accuracy()
    if not args.skip_language:
        language_accuracy(args.docs)


if __name__ == "__main__":
    main()
