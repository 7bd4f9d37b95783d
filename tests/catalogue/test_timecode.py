"""Editors type positions in the audio as mm:ss; feeds need seconds."""

import pytest
from django.core.exceptions import ValidationError

from episodes.catalogue.timecode import TimecodeField, format_timecode, parse_timecode


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("", None),
        ("  ", None),
        ("75", 75.0),
        ("75.5", 75.5),
        ("1:05", 65.0),
        ("01:05", 65.0),
        ("12:30.25", 750.25),
        ("1:02:03", 3723.0),
        ("１：０５", 65.0),  # typed with a Japanese IME
    ],
)
def test_parse(text, seconds):
    assert parse_timecode(text) == seconds


@pytest.mark.parametrize("text", ["1:60", "1:61:00", "abc", "1::2", "-5", "1:2:3:4", "5分"])
def test_parse_refuses(text):
    with pytest.raises(ValueError):
        parse_timecode(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, ""), (0, "0:00"), (65, "1:05"), (750.25, "12:30.25"), (3723, "1:02:03")]
)
def test_format(seconds, text):
    assert format_timecode(seconds) == text


@pytest.mark.parametrize("seconds", [0, 5, 59.5, 65, 3599, 3723.125])
def test_round_trip(seconds):
    assert parse_timecode(format_timecode(seconds)) == pytest.approx(seconds)


def test_form_field_explains_a_bad_value():
    field = TimecodeField(required=False)
    assert field.clean("3:25") == 205
    assert field.prepare_value(205.0) == "3:25"
    with pytest.raises(ValidationError) as excinfo:
        field.clean("三分")
    assert "1:05" in excinfo.value.messages[0]
