"""The station at a glance, for the admin's first page (templates/admin/dashboard.html).

Per show the next slot of the schedule and whether its episode is ready, today's
and tomorrow's episodes, unread letters, episodes the feeds leave out (why, and
what fixes it) and what each feed holds. A fixed number of queries, whatever
the size of the archive.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from episodes.catalogue.models import Episode, Show, SiteRevision
from episodes.catalogue.schedule import Airing, episodes_by_slot, upcoming_airings
from episodes.letters.models import Letter


@dataclass
class SlotReadiness:
    """A show's next slot, its episode (if any) and what it still lacks."""

    airing: Airing
    episode: Episode | None
    missing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def add_url(self) -> str:
        """The add form for this slot: its show and time (the form works out the title)."""
        query = urlencode({"show": self.airing.show.pk, "published_at": timezone.localtime(self.airing.at).isoformat()})
        return f"{reverse('admin:catalogue_episode_add')}?{query}"


def missing_for(episode: Episode | None) -> list[str]:
    """What an episode still needs before its slot: audio, articles, being scheduled."""
    if episode is None:
        return ["エピソードがまだありません"]
    missing = []
    if not episode.has_audio:
        missing.append("音声がありません")
    elif episode.feed_problem:
        missing.append("音声の長さ・サイズが不明（フィードに載りません）")
    if not episode.articles.all():
        missing.append("関連リンクがありません")
    if episode.status != Episode.Status.PUBLISHED:
        missing.append("下書きのまま（予約されていません）")
    return missing


def next_slots(*, now: datetime | None = None) -> list[SlotReadiness]:
    """Per show, the first slot from now on whose episode is not yet public (or today's, still to air)."""
    now = now or timezone.now()
    airings = upcoming_airings(today=timezone.localdate(now))
    made = episodes_by_slot(airings)
    found: dict[int, SlotReadiness] = {}
    for airing in airings:
        if airing.show.pk in found:
            continue
        episode = made.get((airing.show.pk, airing.day))
        if airing.at <= now and episode is not None and episode.publication == "published":
            continue  # aired already
        missing = missing_for(episode)
        if airing.at <= now:  # its hour came without a public episode: say so first, it is late, not next
            missing.insert(0, f"放送時刻（{timezone.localtime(airing.at):%H:%M}）を過ぎています")
        found[airing.show.pk] = SlotReadiness(airing=airing, episode=episode, missing=missing)
    return sorted(found.values(), key=lambda slot: slot.airing.at)


def _day_range(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1)


def episodes_on(day: date) -> list[Episode]:
    start, end = _day_range(day)
    return list(
        Episode.objects.filter(published_at__gte=start, published_at__lt=end)
        .select_related("show")
        .prefetch_related("articles")
        .order_by("published_at")
    )


@dataclass(frozen=True)
class LeftOut:
    """A published (or scheduled) episode the feeds leave out, why, and what fixes it."""

    episode: Episode
    reason: str
    fix: str


def left_out_of_feeds(limit: int = 10) -> tuple[list[LeftOut], int]:
    """Published or scheduled episodes whose audio size or length is unknown, and how many in all."""
    episodes = Episode.objects.filter(status=Episode.Status.PUBLISHED).not_in_feed().select_related("show")
    total = episodes.count()
    rows = []
    for episode in episodes.order_by("-published_at")[:limit]:
        if episode.audio_url:
            fix = "manage.py probe_audio で外部の音声を読み取るか、編集画面で保存し直してください。"
        else:
            fix = "編集画面で音声ファイルを選び直して保存してください。"
        rows.append(LeftOut(episode=episode, reason=episode.feed_problem, fix=fix))
    return rows, total


@dataclass(frozen=True)
class FeedSummary:
    name: str
    url: str
    items: int
    latest: datetime | None


def feed_summaries() -> list[FeedSummary]:
    """Each feed's item count and newest item, in one query over the feeds' own definition."""
    limit = settings.FEED_ITEM_LIMIT
    rows = Episode.objects.published().in_feed().values("show").annotate(count=Count("pk"), latest=Max("published_at"))
    by_show = {row["show"]: row for row in rows}
    shown = Show.objects.filter(pk__in=by_show).order_by("name")
    capped = (lambda n: min(n, limit)) if limit else (lambda n: n)
    total = sum(row["count"] for row in by_show.values())
    latest = max((row["latest"] for row in by_show.values()), default=None)
    summaries = [
        FeedSummary(name="全番組（/feed.xml）", url=reverse("episodes:feed"), items=capped(total), latest=latest)
    ]
    for show in shown:
        row = by_show[show.pk]
        summaries.append(
            FeedSummary(name=show.name, url=show.get_feed_path(), items=capped(row["count"]), latest=row["latest"])
        )
    return summaries


def station_dashboard(*, letters: bool = False) -> dict:
    """Everything the admin's first page shows; `letters` only for a user who may read them (no query otherwise)."""
    today = timezone.localdate()
    left_out, left_out_total = left_out_of_feeds()
    _, changed_at = SiteRevision.current()
    unread = Letter.objects.filter(status=Letter.Status.NEW)
    return {
        "letters": letters,
        "slots": next_slots(),
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "today_episodes": episodes_on(today),
        "tomorrow_episodes": episodes_on(today + timedelta(days=1)),
        "unread_count": unread.count() if letters else 0,
        "unread_letters": list(unread.select_related("show").order_by("-received_at")[:5]) if letters else [],
        "left_out": left_out,
        "left_out_total": left_out_total,
        "feeds": feed_summaries(),
        "site_changed_at": changed_at,
    }
