"""Date filters in change lists: a year or date outside the sane range is a 400, not a 500.

Django's date hierarchy and date filters build `datetime(1, 1, 1)` in the
station's time zone and turn it into UTC for the query, which overflows
(`?published_at__year=1`). Checked before the change list is built.
"""

from django.core.exceptions import BadRequest
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

from episodes.catalogue.bounds import FIRST_YEAR, LAST_YEAR, parse_year

RANGE_MESSAGE = f"日付は {FIRST_YEAR} 年から {LAST_YEAR} 年までで指定してください。"


def _date_fields(model) -> set[str]:
    return {field.name for field in model._meta.get_fields() if isinstance(field, models.DateField)}


def check_date_lookups(model, params) -> None:
    """Raise BadRequest for a date lookup on the model whose year is out of range."""
    fields = _date_fields(model)
    for key, value in params.items():
        name, _, lookup = key.partition("__")
        if name not in fields:
            continue
        if lookup == "year":
            if parse_year(value) is None:
                raise BadRequest(RANGE_MESSAGE)
            continue
        try:
            moment = parse_datetime(value) or parse_date(value)
        except ValueError:
            moment = None
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise BadRequest(RANGE_MESSAGE)


class SaneDateFiltersMixin:
    """For a ModelAdmin with a date hierarchy or date filters."""

    def changelist_view(self, request, extra_context=None):
        check_date_lookups(self.model, request.GET)
        return super().changelist_view(request, extra_context)
