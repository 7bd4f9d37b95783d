"""What the weekly schedule (AiringSlot) says about a day: the show, the host, the next slot.

The new-episode form, its script and the dashboard all ask these questions, so
they are answered once here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from episodes.catalogue.models import AiringSlot, Episode, Show

LOOKAHEAD_DAYS = 14
# How far ahead a slot must still be for the add form to propose it: an editor needs a few
# minutes to fill the form, and 予約して保存 refuses a time that has passed.
EDITING_LEAD = timedelta(minutes=30)


@dataclass(frozen=True)
class Airing:
    """One slot on one day: the show airs at `at` with `host`."""

    slot: AiringSlot
    at: datetime

    @property
    def show(self) -> Show:
        return self.slot.show

    @property
    def day(self) -> date:
        return timezone.localtime(self.at).date()


def slots_by_weekday() -> dict[int, AiringSlot]:
    """The whole schedule in one query."""
    return {slot.weekday: slot for slot in AiringSlot.objects.select_related("show", "host")}


def airing_on(day: date, slots: dict[int, AiringSlot] | None = None) -> Airing | None:
    """The slot of a calendar day, or None when nothing airs that weekday."""
    slot = (slots if slots is not None else slots_by_weekday()).get(day.weekday())
    if slot is None:
        return None
    at = timezone.make_aware(datetime.combine(day, slot.airs_at))
    return Airing(slot=slot, at=at)


def upcoming_airings(*, today: date | None = None, days: int = LOOKAHEAD_DAYS) -> list[Airing]:
    """Every slot from today on, for `days` days, in order."""
    today = today or timezone.localdate()
    slots = slots_by_weekday()
    airings = (airing_on(today + timedelta(days=offset), slots) for offset in range(days))
    return [airing for airing in airings if airing is not None]


def episodes_by_slot(airings: list[Airing]) -> dict[tuple[int, date], Episode]:
    """The episode already made for each (show, day) among `airings`, in one query."""
    if not airings:
        return {}
    start = min(airing.at for airing in airings).replace(hour=0, minute=0)
    end = max(airing.at for airing in airings) + timedelta(days=1)
    found: dict[tuple[int, date], Episode] = {}
    episodes = (
        Episode.objects.filter(published_at__gte=start, published_at__lt=end)
        .select_related("show")
        .prefetch_related("articles")
        .order_by("published_at")
    )
    for episode in episodes:
        found.setdefault((episode.show_id, timezone.localtime(episode.published_at).date()), episode)
    return found


def next_open_airing(*, now: datetime | None = None) -> Airing | None:
    """The first slot with no episode yet that is still EDITING_LEAD ahead: what the editor makes next.

    A slot that has passed (today's 06:00 at 20:50) is the dashboard's to flag as missed;
    proposing it would prefill a time that 予約して保存 must refuse.
    """
    now = now or timezone.now()
    airings = upcoming_airings(today=timezone.localdate(now))
    made = episodes_by_slot(airings)
    earliest = now + EDITING_LEAD
    return next(
        (airing for airing in airings if airing.at >= earliest and (airing.show.pk, airing.day) not in made), None
    )


def next_number() -> int:
    return (Episode.objects.aggregate(top=Max("number"))["top"] or 0) + 1


def host_for(episode: Episode):
    """Who hosts an episode by the schedule: its weekday's host when that slot is its show's."""
    airing = airing_on(timezone.localtime(episode.published_at).date())
    if airing is not None and airing.show.pk == episode.show_id and airing.slot.host is not None:
        return [airing.slot.host]
    return list(episode.show.hosts.all())


def schedule_for_script() -> dict:
    """The schedule as the episode form's script reads it (json_script)."""
    return {
        "slots": {
            str(slot.weekday): {
                "show": slot.show.pk,
                "show_name": slot.show.name,
                "host": slot.host.name if slot.host else "",
                "airs_at": f"{slot.airs_at:%H:%M}",
            }
            for slot in slots_by_weekday().values()
        },
        "shows": {str(show.pk): show.name for show in Show.objects.only("pk", "name")},
    }
