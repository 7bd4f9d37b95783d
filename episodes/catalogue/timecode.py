"""Times in the audio as editors type them (mm:ss) and as feeds need them (seconds)."""

import re

from django import forms
from django.core.exceptions import ValidationError

from episodes.catalogue.bounds import MAX_SECONDS, is_seconds

# ASCII digits only, and few of them: `int()` of 400 nines is fine but `float()` of it is infinity.
_SECONDS = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,6})?")
_TIMECODE = re.compile(r"^(?:([0-9]{1,3}):)?([0-9]{1,3}):([0-9]{1,2}(?:\.[0-9]{1,6})?)$")


def parse_timecode(text: str) -> float | None:
    """`1:05`, `01:02:03`, `75` or `75.5` → seconds; blank → None; anything else raises ValueError.

    Past MAX_SECONDS (a week) is refused too: no episode is that long.
    """
    text = text.strip().translate(str.maketrans("０１２３４５６７８９：．", "0123456789:."))
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        value = float(text)
    else:
        match = _TIMECODE.match(text)
        if not match:
            raise ValueError(text)
        hours, minutes, seconds = match.groups()
        if float(seconds) >= 60 or (hours and int(minutes) >= 60):
            raise ValueError(text)
        value = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    if value > MAX_SECONDS:
        raise ValueError(text)
    return value


def format_timecode(seconds: float | None) -> str:
    """Seconds → `m:ss` or `h:mm:ss` (fractions kept only when present)."""
    if seconds is None or not is_seconds(seconds):
        return ""
    whole = int(seconds)
    fraction = seconds - whole
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:02d}" if not fraction else f"{secs + fraction:06.3f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}:{minutes:02d}:{sec_text}"
    return f"{minutes}:{sec_text}"


class TimecodeField(forms.Field):
    """A form field for a position in the audio, typed as mm:ss."""

    widget = forms.TextInput(attrs={"placeholder": "mm:ss", "size": 8, "inputmode": "decimal"})

    def prepare_value(self, value):
        if isinstance(value, int | float):
            return format_timecode(value)
        return value

    def to_python(self, value):
        try:
            return parse_timecode(str(value or ""))
        except ValueError as exc:
            raise ValidationError(
                "時間は 1:05 や 1:02:03 の形で、%(max)s 時間以内で入力してください（秒だけでも可）。",
                code="timecode",
                params={"max": MAX_SECONDS // 3600},
            ) from exc
