"""Input that used to abort or corrupt a run: each line that cannot enter is quarantined with its
reason and counted, unreadable files are quarantined as files, and the rest of the input goes on."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from r1data.io.readers import RecordReader
from tests.conftest import record, write_jsonl
from tests.io.test_readers import quarantine_lines, read_all


def deep(levels: int):
    value = 1
    for _ in range(levels):
        value = [value]
    return value


def test_deep_nesting_is_quarantined_not_a_crash_in_the_reader_and_the_verify_cli(tmp_path):
    deeper = json.dumps({**record("deeper"), "extra": "X"}).replace('"X"', "[" * 2000 + "1" + "]" * 2000)
    rows = [record("ok"), {**record("deep"), "extra": deep(300)}, deeper]
    src = write_jsonl(tmp_path / "in" / "in.jsonl", rows)
    docs, stats = read_all(RecordReader(str(src.parent), quarantine_folder=str(tmp_path / "q")))
    assert [d.id for d in docs] == ["ok"]
    assert stats["quarantined_too_deep"] == 2 and stats["records_in"] == 3
    assert [q["where"] for q in quarantine_lines(tmp_path / "q")] == ["in.jsonl:2", "in.jsonl:3"]
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "r1data.cli", "verify", str(src), str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["ok"]
    assert "quarantined 2 line(s)" in done.stdout
    filtered = subprocess.run(
        [
            sys.executable,
            "-m",
            "r1data.cli",
            "filter",
            str(src),
            str(tmp_path / "f.jsonl"),
            "--annotate-only",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert filtered.returncode == 0, filtered.stderr
    assert [json.loads(line)["id"] for line in (tmp_path / "f.jsonl").read_text().splitlines()] == ["ok"]
    from r1data.pipelines import load_recipe, run_recipe

    recipe = load_recipe("recipes/quickstart.yaml").model_copy(deep=True)
    recipe.input.path = str(src)
    result = run_recipe(recipe, str(tmp_path / "run"))
    assert result.funnel["records"]["quarantined_by_reason"] == {"too_deep": 2}


def test_a_corrupt_archive_is_quarantined_as_a_file_and_the_good_file_beside_it_is_read(tmp_path):
    folder = tmp_path / "in"
    write_jsonl(folder / "a_good.jsonl", [record("g1"), record("g2")])
    payload = gzip.compress(b"".join(json.dumps(record(f"c{i}")).encode() + b"\n" for i in range(5000)))
    (folder / "b_truncated.jsonl.gz").write_bytes(payload[: len(payload) // 2])
    (folder / "c_not_gzip.jsonl.gz").write_bytes(b"this is not a gzip stream at all")
    write_jsonl(folder / "d_good.jsonl", [record("g3")])
    docs, stats = read_all(RecordReader(str(folder), quarantine_folder=str(tmp_path / "q")))
    ids = [d.id for d in docs]
    assert {"g1", "g2", "g3"} <= set(ids)
    assert stats["quarantined_unreadable_file"] == 2
    assert stats["records_in"] == stats["records_ok"] + stats["quarantined"]
    lines = quarantine_lines(tmp_path / "q")
    assert sorted(q["where"] for q in lines) == ["b_truncated.jsonl.gz", "c_not_gzip.jsonl.gz"]
    assert all(q["reason"] == "unreadable_file" and q["detail"] for q in lines)


def test_big_integers_stay_exact_and_the_right_answer_passes(tmp_path):
    digits = "123456789012345678901234567890"
    line = (
        '{"id": "big", "prompt": "What is it?", "reference": {"answer": ' + digits + "}, "
        '"n": 98765432109876543210987, "completions": [{"text": "\\\\boxed{' + digits + '}"}]}'
    )
    src = write_jsonl(tmp_path / "in.jsonl", [line])
    (doc,) = read_all(RecordReader(str(tmp_path), glob_pattern="in.jsonl"))[0]
    assert doc.metadata["reference"]["answer"] == digits
    assert doc.metadata["n"] == "98765432109876543210987"  # exact, as a string (beyond 64 bits)
    out = tmp_path / "out.jsonl"
    subprocess.run([sys.executable, "-m", "r1data.cli", "verify", str(src), str(out), "--quiet"], check=True)
    (verified,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert verified["completions"][0]["verdict"]["label"] == "pass"


def test_null_bom_blank_prompts_and_line_numbers_after_blank_lines(tmp_path):
    lines = [
        "\ufeff" + json.dumps(record("bom")),
        "",
        "null",
        "",
        "",
        json.dumps({"id": "blank", "prompt": "  \n\t "}),
        json.dumps({"id": "blank_messages", "messages": [{"role": "user", "content": "   "}]}),
        json.dumps({"id": 7}),
        json.dumps(record("last")),
    ]
    path = tmp_path / "in" / "in.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, stats = read_all(RecordReader(str(path.parent), quarantine_folder=str(tmp_path / "q")))
    assert [d.id for d in docs] == ["bom", "last"]
    assert stats["records_in"] == 6 == stats["records_ok"] + stats["quarantined"]
    where = {q["where"]: q["reason"] for q in quarantine_lines(tmp_path / "q")}
    assert where == {
        "in.jsonl:3": "not_an_object",
        "in.jsonl:6": "invalid_value",
        "in.jsonl:7": "invalid_value",
        "in.jsonl:8": "invalid_value",
    }


def test_duplicate_ids_are_made_unique_by_a_documented_rule_and_counted(tmp_path):
    rows = [record("a"), {**record("a"), "prompt": "a different question"}, record("b"), record("a")]
    write_jsonl(tmp_path / "in" / "x.jsonl", rows)
    docs, stats = read_all(RecordReader(str(tmp_path / "in")))
    assert [d.id for d in docs] == ["a", "a@x.jsonl:2", "b", "a@x.jsonl:4"]
    assert [d.metadata.get("original_id") for d in docs] == [None, "a", None, "a"]
    assert stats["records_renamed_duplicate_id"] == 2


def test_yaml_boolean_keys_are_read_as_written_and_other_odd_keys_are_refused(tmp_path):
    from r1data.pipelines.recipe import load_recipe
    from r1data.pipelines.registry import build_step

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: t\ninput: {path: x.jsonl}\nstages:\n  - name: v\n    steps:\n"
        "      - verify: {domain: qa, judge: {endpoint: 'http://127.0.0.1:9/v1', model: m,"
        " on: [unknown, fail], timeout_s: 2, retries: 0}}\n      - format_r1\n"
    )
    r = load_recipe(str(recipe))
    step = r.stages[0].steps[0]
    assert step.params["judge"]["on"] == ["unknown", "fail"]
    assert len(r.fingerprint()) == 16
    assert build_step(step.kind, step.params).judge.on == ("unknown", "fail")
    recipe.write_text(
        "name: t\ninput: {path: x.jsonl}\nstages:\n  - name: v\n    steps:\n      - select: {3: x}\n"
    )
    with pytest.raises(Exception, match="recipe keys are names: '3'"):
        load_recipe(str(recipe))


@pytest.fixture
def silent_judge():
    """A TCP listener on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def loop():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_judge_that_never_answers_is_bounded_by_the_cli_flags(tmp_path, silent_judge):
    rec = {"id": "q", "domain": "qa", "prompt": "Capital of France?", "reference": {"answer": "Paris"}}
    src = write_jsonl(tmp_path / "in.jsonl", [{**rec, "completions": [{"text": "Paris."}]}])
    out = tmp_path / "out.jsonl"
    start = time.monotonic()
    subprocess.run(
        [
            *(sys.executable, "-m", "r1data.cli", "verify", str(src), str(out), "--quiet"),
            *("--judge-endpoint", silent_judge, "--judge-model", "m"),
            *("--judge-timeout", "1", "--judge-retries", "1"),
        ],
        check=True,
        timeout=60,
    )
    elapsed = time.monotonic() - start
    (verified,) = [json.loads(x) for x in out.read_text().splitlines()]
    v = verified["completions"][0]["verdict"]
    assert (v["label"], v["reason"]) == ("unknown", "judge_error")
    assert elapsed < 15, elapsed  # 2 attempts × 1 s + back-off + start-up; it was 246 s


def test_one_parser_path_whatever_the_line_holds(tmp_path):
    """The same value is read (or refused) the same way with or without a 19+ digit run on its line:
    a lone surrogate escape is invalid_json on both paths (it used to abort the run on the big-integer
    path), NaN/Infinity and numbers that overflow a double are refused on both, and an integer of any
    length stays exact."""
    long = "1234567890123456789012"
    lines = [
        '{"id": "s1", "prompt": "q", "x": "\\ud800"}',
        '{"id": "s2", "prompt": "q", "x": "\\ud800", "n": ' + long + "}",
        '{"id": "n1", "prompt": "q", "x": NaN}',
        '{"id": "n2", "prompt": "q", "x": NaN, "n": ' + long + "}",
        '{"id": "i1", "prompt": "q", "x": -Infinity, "n": ' + long + "}",
        '{"id": "f1", "prompt": "q", "x": 1e400}',
        '{"id": "f2", "prompt": "q", "x": 1e400, "n": ' + long + "}",
        '{"id": "huge", "prompt": "q", "n": ' + "9" * 5000 + ', "m": -' + "1" * 30 + "}",
        '{"id": "pair", "prompt": "q", "x": "\\ud83d\\ude00", "n": ' + long + "}",
        json.dumps(record("ok")),
    ]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "in.jsonl").write_text("\n".join(lines) + "\n")
    docs, stats = read_all(RecordReader(str(tmp_path / "in"), quarantine_folder=str(tmp_path / "q")))
    assert [d.id for d in docs] == ["huge", "pair", "ok"]
    assert docs[0].metadata["n"] == "9" * 5000 and docs[0].metadata["m"] == "-" + "1" * 30
    assert docs[1].metadata["x"] == "😀"
    reasons = {q["where"].split(":")[1]: q["reason"] for q in quarantine_lines(tmp_path / "q")}
    assert reasons == {str(i): "invalid_json" for i in range(1, 8)}
    assert stats["records_in"] == 10 == stats["records_ok"] + stats["quarantined"]
    # and the rows that entered are written back and read again unchanged (no lossy path)
    from r1data.io.readers import parse_json_line

    for doc in docs:
        assert parse_json_line(json.dumps(doc.metadata, ensure_ascii=False)) == doc.metadata


@pytest.mark.parametrize("compression", ["gz", "zst", "bz2", "xz"])
def test_every_compression_corrupt_or_truncated_is_one_unreadable_file(tmp_path, compression):
    import bz2
    import lzma

    import zstandard

    compress = {
        "gz": gzip.compress,
        "zst": zstandard.ZstdCompressor(write_checksum=True).compress,  # as the zstd tool writes
        "bz2": bz2.compress,
        "xz": lzma.compress,
    }[compression]
    folder = tmp_path / "in"
    write_jsonl(folder / "a_good.jsonl", [record("g1")])
    payload = compress(b"".join(json.dumps(record(f"c{i}")).encode() + b"\n" for i in range(3000)))
    (folder / f"b_truncated.jsonl.{compression}").write_bytes(payload[: len(payload) // 2])
    corrupt = bytearray(payload)
    for i in range(len(corrupt) // 3, len(corrupt) // 3 + 64):
        corrupt[i] ^= 0x5A
    (folder / f"c_corrupt.jsonl.{compression}").write_bytes(bytes(corrupt))
    (folder / f"d_garbage.jsonl.{compression}").write_bytes(b"not compressed at all " * 10)
    (folder / f"e_good.jsonl.{compression}").write_bytes(compress(json.dumps(record("g2")).encode() + b"\n"))
    docs, stats = read_all(RecordReader(str(folder), quarantine_folder=str(tmp_path / "q")))
    ids = {d.id for d in docs}
    assert {"g1", "g2"} <= ids
    unreadable = sorted(
        q["where"] for q in quarantine_lines(tmp_path / "q") if q["reason"] == "unreadable_file"
    )
    assert unreadable == [f"{n}.jsonl.{compression}" for n in ("b_truncated", "c_corrupt", "d_garbage")]
    assert stats["records_in"] == stats["records_ok"] + stats["quarantined"]


def test_too_many_completions_is_quarantined_before_it_is_validated(tmp_path):
    rows = [record("many", texts=tuple("x" for _ in range(50))), record("fine", texts=("a", "b"))]
    src = write_jsonl(tmp_path / "in" / "in.jsonl", rows)
    reader = RecordReader(str(src.parent), quarantine_folder=str(tmp_path / "q"), max_completions=10)
    docs, stats = read_all(reader)
    assert [d.id for d in docs] == ["fine"] and stats["quarantined_too_many_completions"] == 1
    (entry,) = quarantine_lines(tmp_path / "q")
    assert entry["reason"] == "too_many_completions" and "50 completions" in entry["detail"]
    from r1data.pipelines.recipe import InputSpec

    assert InputSpec(path="x").max_completions_per_record == 4096  # the documented default


def test_lines_are_cut_in_time_linear_in_the_bytes(tmp_path):
    """Counted, not timed: reading N blank lines touches each byte a bounded number of times (the old
    reader re-sliced what was left of a chunk for every line: quadratic)."""
    import io

    from r1data.io.readers import _bounded_lines

    class Counting(io.BytesIO):
        copied = 0

        def read(self, n=-1):
            data = super().read(n)
            Counting.copied += len(data)
            return data

    for n in (10_000, 100_000):
        Counting.copied = 0
        lines = list(_bounded_lines(Counting(b"\n" * n + b"x\n"), 100, chunk_size=4096))
        assert len(lines) == n + 1 and lines[-1] == (b"x", 1) and Counting.copied == n + 2
