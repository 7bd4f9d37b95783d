"""The ranges numbers must fall in where they enter: seconds in the audio, dates, years.

Checked where a number is parsed (admin forms, the importer, the API, URLs,
headers), so a value that would overflow later (`1e400`, `Infinity`, year 1
turned into UTC, 4,300 digits) is refused with a message instead of reaching
a page as a 500. The database repeats the seconds bounds as constraints.
"""

import math
import re
from datetime import datetime

from django.core.exceptions import ValidationError

# A week: far past any episode, far below anything that overflows.
MAX_SECONDS = 7 * 24 * 3600
FIRST_YEAR, LAST_YEAR = 1990, 2100


def is_seconds(value) -> bool:
    """A finite position or length in the audio, within [0, MAX_SECONDS]."""
    return isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= MAX_SECONDS


def is_sane_moment(moment: datetime) -> bool:
    """A date the station can have published on (its local year, before any conversion that could overflow)."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def validate_moment(value) -> None:
    if value is not None and not is_sane_moment(value):
        raise ValidationError(
            "日時は %(first)s 年から %(last)s 年までにしてください。",
            code="moment_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


_YEAR = re.compile(r"[0-9]{4}")


def parse_year(text) -> int | None:
    """A year as four ASCII digits within the sane range; anything else (`²`, `①`, `0001`) is None."""
    text = str(text or "").strip()
    if not _YEAR.fullmatch(text):
        return None
    year = int(text)
    return year if FIRST_YEAR <= year <= LAST_YEAR else None
