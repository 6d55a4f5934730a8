"""``r1data calibrate SOURCE --sheet FOLDER`` draws a labelling sheet from the verdicts of a run folder,
an eval folder or a verified JSONL; ``r1data calibrate SOURCE --labels FILLED`` reads it back, filled
by a person, and writes the measured agreement, false-accept and false-reject rates (with 95 %
intervals) into the run's ``stats.json`` and card (an eval folder: its ``metrics.json``; a file:
``FILE.calibration.json``)."""

from __future__ import annotations

import argparse
import json
import os


def register(sub, common) -> None:
    cal = sub.add_parser(
        "calibrate",
        parents=[common],
        help="measure the verdicts against a person's labels: draw a sheet, read it back into the card",
        description="How often are the verdicts wrong on your data? --sheet draws a stratified sample of "
        "verdicts (by verifier, label, reason, domain; every judge overruling the rules) as a labelling "
        "sheet (sheet.jsonl and sheet.csv: fill human_label with correct or incorrect); --labels reads "
        "the filled sheet and writes agreement, false accepts and false rejects with 95%% intervals into "
        "the folder's stats.json and card.",
    )
    cal.add_argument("source", help="an r1data run folder, an eval folder, or a JSONL of verified records")
    what = cal.add_mutually_exclusive_group(required=True)
    what.add_argument("--sheet", metavar="FOLDER", help="write the labelling sheet into FOLDER")
    what.add_argument("--labels", metavar="FILE", help="a filled sheet (.csv or .jsonl) to measure")
    cal.add_argument("--per-stratum", type=int, default=20, help="rows drawn per stratum (default 20)")
    cal.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    cal.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.eval import calibration

    if not os.path.exists(args.source):
        raise FileNotFoundError(f"no such run folder, eval folder or file: {args.source}")
    if args.sheet:
        if args.per_stratum < 1:
            raise ValueError("--per-stratum must be at least 1")
        rows = calibration.verdict_rows(args.source)
        sample = calibration.draw(rows, args.per_stratum, args.seed)
        jsonl, csv_path = calibration.write_sheet(sample, args.sheet)
        strata = len({r["stratum"] for r in sample})
        print(f"{len(sample)} of {len(rows)} verdicts drawn from {strata} strata")
        print(
            f"sheet: {csv_path} (and {os.path.basename(jsonl)}): fill human_label with correct or incorrect,"
        )
        print(f"then: r1data calibrate {args.source} --labels {csv_path}")
        return 0
    result = calibration.measure(calibration.read_sheet(args.labels), args.labels)
    where = _record(args.source, result)
    agreement = result["agreement"]
    print(
        f"{result['labelled']} labelled verdicts of {result['completions']}: agreement "
        f"{agreement['rate']:.1%} (95% CI {agreement['ci95'][0]:.1%}-{agreement['ci95'][1]:.1%}), "
        f"{result['false_accepts']} false accepts, {result['false_rejects']} false rejects"
    )
    for s in result["strata"]:
        print(f"  {s['stratum']:<60} {s['labelled']:>4}/{s['size']:<6} agreement {s['agreement']:.0%}")
    print(f"written: {', '.join(where)}")
    return 0


def _record(source: str, result: dict) -> list[str]:
    """Write the result where the source keeps its figures; the paths written."""
    from r1data.io.files import write_atomic

    def update(path: str) -> None:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        data["human_calibration"] = result
        write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False).encode())

    stats, recipe_json = os.path.join(source, "stats.json"), os.path.join(source, "recipe.json")
    if os.path.isfile(stats) and os.path.isfile(recipe_json):  # a run folder: stats and card
        from r1data.data_cards.card import write_card
        from r1data.pipelines.recipe import Recipe

        update(stats)
        with open(recipe_json, encoding="utf-8") as f:
            recipe = Recipe.model_validate(json.load(f)["recipe"])
        with open(stats, encoding="utf-8") as f:
            return [stats, write_card(recipe, json.load(f), source)]
    metrics = os.path.join(source, "metrics.json")
    if os.path.isfile(metrics):
        update(metrics)
        return [metrics]
    path = source + ".calibration.json"
    write_atomic(path, json.dumps(result, indent=2, ensure_ascii=False).encode())
    return [path]
