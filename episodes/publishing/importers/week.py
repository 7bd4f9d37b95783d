"""The station's week, inferred from the archive: which show airs on which weekday, and who hosts it.

After an import the editors' dashboard and add form need airing slots; the
archive already shows the pattern. The last weeks before the newest episode
are read (older weeks may follow an older schedule): per weekday, the show
most of its episodes belong to, that show's usual first voice on that day,
and the usual time (midnight, a post dated by day only, takes the slot's default
morning time). Slots the editors already have are never touched.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from episodes.catalogue.models import Actor, AiringSlot, Appearance, Episode

RECENT_WEEKS = 8
# A weekday needs this many episodes of one show in the recent weeks to be a slot (a one-off special is not).
MIN_EPISODES = 2
DEFAULT_TIME = AiringSlot._meta.get_field("airs_at").default


@dataclass
class InferredSlot:
    weekday: int
    show: str
    host: str
    airs_at: str
    episodes: int
    created: bool


def infer_airing_slots(*, weeks: int = RECENT_WEEKS, dry_run: bool = False) -> list[InferredSlot]:
    """Slots for the weekdays that have none, from the published episodes of the archive's last `weeks` weeks."""
    newest = Episode.objects.filter(status=Episode.Status.PUBLISHED).order_by("-published_at").first()
    if newest is None:
        return []
    recent = list(
        Episode.objects.filter(
            status=Episode.Status.PUBLISHED, published_at__gt=newest.published_at - timedelta(weeks=weeks)
        )
        .select_related("show")
        .order_by("published_at")
    )
    hosts = dict(Appearance.objects.filter(episode__in=recent, position=0).values_list("episode_id", "actor_id"))
    by_day: dict[int, list[Episode]] = {}
    for episode in recent:
        by_day.setdefault(timezone.localtime(episode.published_at).weekday(), []).append(episode)
    existing = set(AiringSlot.objects.values_list("weekday", flat=True))
    slots = []
    with transaction.atomic():
        for weekday in sorted(by_day):
            ((show_id, count),) = Counter(e.show_id for e in by_day[weekday]).most_common(1)
            if count < MIN_EPISODES:
                continue
            episodes = [e for e in by_day[weekday] if e.show_id == show_id]
            host_id = _most_common(hosts.get(e.pk) for e in episodes)
            airs_at = _most_common(
                timezone.localtime(e.published_at).time().replace(second=0, microsecond=0) for e in episodes
            )
            if airs_at == time(0, 0):
                airs_at = DEFAULT_TIME  # posts dated by day only: the model's usual morning time
            created = weekday not in existing
            if created and not dry_run:
                AiringSlot.objects.create(weekday=weekday, show_id=show_id, host_id=host_id, airs_at=airs_at)
            host = Actor.objects.filter(pk=host_id).values_list("name", flat=True).first() or ""
            slots.append(InferredSlot(weekday, episodes[0].show.name, host, f"{airs_at:%H:%M}", count, created))
    return slots


def _most_common(values):
    counted = Counter(v for v in values if v is not None).most_common(1)
    return counted[0][0] if counted else None
