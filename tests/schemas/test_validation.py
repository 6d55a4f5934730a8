import pytest

from r1data.schemas import RecordError, validate_record


def test_valid_record_keeps_unknown_fields_and_normalises_numbers():
    out = validate_record({"id": 7, "prompt": "p", "reference": {"answer": 27.0}, "score": [True], "x": None})
    assert out == {"id": "7", "prompt": "p", "reference": {"answer": "27"}, "score": [True], "x": None}


def test_non_integer_float_answer_keeps_its_value():
    assert validate_record({"id": "a", "prompt": "p", "reference": {"answer": 0.5}})["reference"] == {
        "answer": "0.5"
    }


@pytest.mark.parametrize(
    ("row", "reason", "where"),
    [
        ([1, 2], "not_an_object", "expected a JSON object"),
        ({"prompt": "p"}, "missing_field", "id"),
        ({"id": "a"}, "invalid_value", ""),
        ({"id": "a", "prompt": "p", "completions": [{"text": 3}]}, "wrong_type", "completions.0.text"),
        ({"id": "a", "prompt": "p", "completions": "abc"}, "wrong_type", "completions"),
        ({"id": "a", "prompt": "p", "completions": [{}]}, "missing_field", "completions.0.text"),
        ({"id": "a", "prompt": "p", "domain": "poetry"}, "invalid_value", "domain"),
        ({"id": "a", "prompt": "p", "reference": {"answer": True}}, "invalid_value", "reference.answer"),
        ({"id": "", "prompt": "p"}, "invalid_value", "id"),
    ],
)
def test_invalid_records_have_a_reason(row, reason, where):
    with pytest.raises(RecordError) as info:
        validate_record(row)
    assert info.value.reason == reason
    assert info.value.detail.startswith(where if reason == "not_an_object" else f"{where}:")


def test_messages_can_replace_prompt():
    out = validate_record({"id": "a", "messages": [{"role": "user", "content": "hi"}]})
    assert out["messages"] == [{"role": "user", "content": "hi"}]
