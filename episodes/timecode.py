"""Times in the audio as editors type them (mm:ss) and as feeds need them (seconds)."""

import re

from django import forms
from django.core.exceptions import ValidationError

_TIMECODE = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{1,2}(?:\.\d+)?)$")


def parse_timecode(text: str) -> float | None:
    """`1:05`, `01:02:03`, `75` or `75.5` → seconds; blank → None; anything else raises ValueError."""
    text = text.strip().translate(str.maketrans("０１２３４５６７８９：．", "0123456789:."))
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    match = _TIMECODE.match(text)
    if not match:
        raise ValueError(text)
    hours, minutes, seconds = match.groups()
    if float(seconds) >= 60 or (hours and int(minutes) >= 60):
        raise ValueError(text)
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def format_timecode(seconds: float | None) -> str:
    """Seconds → `m:ss` or `h:mm:ss` (fractions kept only when present)."""
    if seconds is None:
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
                "時間は 1:05 や 1:02:03 の形で入力してください（秒だけでも可）。", code="timecode"
            ) from exc
