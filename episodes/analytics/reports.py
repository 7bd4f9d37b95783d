"""The tables editors read: downloads from the aggregates only, never from raw hits.

Plain functions with keyword-only arguments, shared by the admin page and its
CSV export. Sums are done in Python over a bounded number of aggregate rows
per period, so SQLite and PostgreSQL give the same answers.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from episodes.analytics import names
from episodes.analytics.models import DailyDownloads
from episodes.catalogue.models import Episode, Show

# Downloads in the first N days after publication: the fair comparison between old and new episodes.
FIRST_DAYS = (1, 7, 30)


@dataclass(frozen=True)
class EpisodeRow:
    """One episode's downloads in its first 1, 7 and 30 days, and in all."""

    episode: Episode
    published: date
    first: dict[int, int | None]  # None while the period has not yet ended
    total: int


def _in_period(queryset, *, start: date, end: date, show: Show | None):
    queryset = queryset.filter(day__gte=start, day__lte=end)
    return queryset.filter(episode__show=show) if show else queryset


def first_days(*, show: Show | None = None, limit: int = 30, today: date | None = None) -> list[EpisodeRow]:
    """The latest published episodes with their first-1/7/30-day downloads (None until the period is over)."""
    today = today or timezone.localdate()
    episodes = Episode.objects.published().select_related("show").order_by("-published_at")
    if show:
        episodes = episodes.filter(show=show)
    episodes = list(episodes[:limit])
    per_day: dict[int, Counter] = defaultdict(Counter)
    rows = (
        DailyDownloads.objects.filter(episode__in=episodes)
        .values_list("episode_id", "day")
        .annotate(n=Sum("downloads"))
        .order_by()
    )
    for episode_id, day, n in rows:
        per_day[episode_id][day] += n
    table = []
    for episode in episodes:
        published = timezone.localdate(episode.published_at)
        days = per_day[episode.pk]
        first = {}
        for n in FIRST_DAYS:
            last = published + timedelta(days=n - 1)
            first[n] = sum(v for d, v in days.items() if d <= last) if last < today else None
        table.append(EpisodeRow(episode, published, first, sum(days.values())))
    return table


def daily(*, start: date, end: date, show: Show | None = None) -> list[tuple[date, int]]:
    """Downloads per day from start to end, days without any included as 0."""
    counts = dict(
        _in_period(DailyDownloads.objects, start=start, end=end, show=show)
        .values_list("day")
        .annotate(n=Sum("downloads"))
        .order_by()
    )
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range((end - start).days + 1)
    ]


def top_episodes(*, start: date, end: date, show: Show | None = None, limit: int = 10) -> list[tuple[Episode, int]]:
    """The most downloaded episodes in the period (ties: the newer first)."""
    totals = (
        _in_period(DailyDownloads.objects, start=start, end=end, show=show)
        .values_list("episode_id")
        .annotate(n=Sum("downloads"))
        .order_by()
    )
    episodes = Episode.objects.select_related("show").in_bulk([pk for pk, _ in totals])
    ranked = sorted(
        ((episodes[pk], n) for pk, n in totals if pk in episodes),
        key=lambda row: (-row[1], -row[0].published_at.timestamp(), -row[0].pk),
    )
    return ranked[:limit]


def top_by(field: str, *, start: date, end: date, show: Show | None = None, limit: int = 10) -> list[tuple[str, int]]:
    """Downloads per app or per device in the period, most first (ties by name), under the names editors read."""
    if field not in ("app", "device"):
        raise ValueError(field)
    totals = (
        _in_period(DailyDownloads.objects, start=start, end=end, show=show)
        .values_list(field)
        .annotate(n=Sum("downloads"))
        .order_by()
    )
    shown = names.app_name if field == "app" else names.device_name
    merged: Counter = Counter()
    for stored, n in totals:
        merged[shown(stored)] += n
    return sorted(merged.items(), key=lambda row: (-row[1], row[0]))[:limit]
