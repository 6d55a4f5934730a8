import pytest

from r1data.io.mapping import ColumnMapping, MappingError


def test_columns_constants_regex_each_and_per_element_fields():
    mapping = ColumnMapping(
        {
            "id": "idx",
            "prompt": "q.text",
            "reference.answer": {"column": "answer", "regex": r"####\s*(.+?)\s*$"},
            "completions": {"column": "outs", "each": "text"},
            "completions[].model": {"const": "teacher-x"},
            "source": {"const": "gsm8k"},
        }
    )
    row = {"idx": 3, "q": {"text": "How many?"}, "answer": "work\n#### 72", "outs": ["a", "b"], "junk": 1}
    assert mapping(row) == {
        "id": 3,
        "prompt": "How many?",
        "reference": {"answer": "72"},
        "completions": [{"text": "a", "model": "teacher-x"}, {"text": "b", "model": "teacher-x"}],
        "source": "gsm8k",
    }


def test_keep_unmapped_and_default():
    mapping = ColumnMapping(
        {"prompt": "question", "language": {"column": "lang", "default": "en"}}, keep_unmapped=True
    )
    assert mapping({"question": "q", "x": 1}) == {"question": "q", "x": 1, "prompt": "q", "language": "en"}


@pytest.mark.parametrize(
    ("spec", "row", "message"),
    [
        ({"prompt": "missing"}, {"q": 1}, "column 'missing' (for 'prompt') is missing"),
        ({"a": {"column": "x", "regex": "(z)"}}, {"x": "abc"}, "regex for 'a' does not match"),
        ({"c": {"column": "x", "each": "text"}}, {"x": "not a list"}, "is not a list"),
        ({"c[].m": {"const": 1}}, {}, "'c' must be mapped to a list"),
    ],
)
def test_unmappable_rows_raise(spec, row, message):
    with pytest.raises(
        MappingError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        ColumnMapping(spec)(row)


@pytest.mark.parametrize(
    "spec",
    [
        {"a": 3},
        {"a": {"column": "x", "const": 1}},
        {"a": {}},
        {"a": {"column": "x", "bogus": 1}},
        {"a": {"column": "x", "regex": "no group"}},
    ],
)
def test_bad_mapping_specs_are_rejected_up_front(spec):
    with pytest.raises(MappingError):
        ColumnMapping(spec)


def test_mapping_survives_deepcopy_and_pickle():
    """Executors copy their pipeline (deepcopy, or pickle for worker processes)."""
    import copy
    import pickle

    mapping = ColumnMapping(
        {
            "prompt": "q",
            "completions": {"column": "outs", "each": "text"},
            "answer": {"column": "a", "default": "none"},
        }
    )
    row = {"q": "x", "outs": ["a", "b"]}
    expected = {"prompt": "x", "completions": [{"text": "a"}, {"text": "b"}], "answer": "none"}
    assert copy.deepcopy(mapping)(row) == pickle.loads(pickle.dumps(mapping))(row) == expected
