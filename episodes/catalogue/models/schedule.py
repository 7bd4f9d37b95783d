"""The station's weekly schedule: which show airs on which weekday, with which host."""

from datetime import time

from django.db import models

from episodes.catalogue.models.cast import Actor
from episodes.catalogue.models.shows import Show


class Weekday(models.IntegerChoices):
    """Monday first, as Python's date.weekday() counts."""

    MONDAY = 0, "月曜"
    TUESDAY = 1, "火曜"
    WEDNESDAY = 2, "水曜"
    THURSDAY = 3, "木曜"
    FRIDAY = 4, "金曜"
    SATURDAY = 5, "土曜"
    SUNDAY = 6, "日曜"


class AiringSlot(models.Model):
    """One weekday of the schedule: a new episode dated that day takes this show and host."""

    weekday = models.PositiveSmallIntegerField("曜日", choices=Weekday.choices, unique=True)
    show = models.ForeignKey(Show, verbose_name="番組", on_delete=models.CASCADE, related_name="airing_slots")
    host = models.ForeignKey(
        Actor,
        verbose_name="ホスト",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="airing_slots",
        help_text="出演者を空のまま保存すると、この人が入ります（空なら番組のホスト）。",
    )
    airs_at = models.TimeField("公開時刻", default=time(6, 0))

    class Meta:
        verbose_name = "放送枠"
        verbose_name_plural = "放送枠（曜日ごと）"
        ordering = ["weekday"]
        constraints = [models.CheckConstraint(condition=models.Q(weekday__lte=6), name="airing_slot_weekday_valid")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.show}"
