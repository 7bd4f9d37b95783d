"""The IAB v2 counting rules, applied to raw hits: what makes a download.

- One download per listener (hashed address + user agent) per episode per
  day. The day is the station's calendar day (TIME_ZONE), the 24-hour window
  the listener's salt lives for, so the hash can never link two days.
- Byte ranges count only once those seen for the listener cover at least one
  minute of audio (bytes for a minute at the file's bitrate, or the whole of
  a shorter file): an iOS `bytes=0-1` probe never counts alone.
- Bots (the OPAWG list's bots and bot libraries, known-bot words, an empty
  user agent) never count.

Counting happens in Python, not SQL, so SQLite and PostgreSQL give the same
numbers. Each run recomputes only the days that still have raw hits (today
and yesterday), then prunes older raw hits and their salts.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import DailyDownloads, DailySalt, DownloadHit, Episode
from . import agents
from .recording import forget_salts

# When a file's bitrate is unknown, a minute is counted at 128 kbps (the IAB's own example rate).
DEFAULT_BITRATE = 128_000
# Days of raw hits kept: today and yesterday (24 to 48 hours), what deduplication needs.
KEEP_DAYS = 2


@dataclass(frozen=True)
class AudioShape:
    """What the rules need to know about an episode's audio."""

    size: int | None
    bitrate: int | None
    duration: float | None

    def minute_bytes(self) -> int:
        """Bytes for one minute of this audio, at most the whole file."""
        if self.bitrate:
            minute = self.bitrate * 60 // 8
        elif self.size and self.duration:
            minute = int(self.size * 60 / self.duration)
        else:
            minute = DEFAULT_BITRATE * 60 // 8
        return min(minute, self.size) if self.size else minute


def covered_bytes(ranges: Iterable[tuple[int, int | None]], *, size: int | None) -> float:
    """Bytes covered by the union of inclusive ranges; an open end runs to the end of the file."""
    last_byte = size - 1 if size else float("inf")
    intervals = sorted((start, min(last_byte if end is None else end, last_byte)) for start, end in ranges)
    total, reach = 0, -1
    for start, end in intervals:
        if end <= reach:
            continue
        total += end - max(start, reach + 1) + 1
        reach = end
    return total


def count_downloads(
    hits: Iterable[tuple[date, int, str, str, int, int | None]], *, shapes: dict[int, AudioShape]
) -> Counter:
    """Downloads per (day, episode id, app, device) from hits (day, episode, listener, ua, first, last)."""
    seen: dict[tuple[date, int, str], tuple[str, list]] = {}
    for day, episode_id, listener, user_agent, start, end in hits:
        if episode_id not in shapes:  # the episode was deleted
            continue
        key = (day, episode_id, listener)
        if key not in seen:
            seen[key] = (user_agent, [])
        seen[key][1].append((start, end))
    counts: Counter = Counter()
    for (day, episode_id, _listener), (user_agent, ranges) in seen.items():
        agent = agents.classify(user_agent)
        if agent.is_bot:
            continue
        shape = shapes[episode_id]
        if covered_bytes(ranges, size=shape.size) >= shape.minute_bytes():
            counts[(day, episode_id, agent.app, agent.device)] += 1
    return counts


@dataclass(frozen=True)
class Aggregation:
    """What one run did."""

    days: list[date]
    hits: int
    downloads: int
    pruned: int


def aggregate_downloads(*, now: datetime | None = None, prune: bool = True) -> Aggregation:
    """Recount every day that still has raw hits, then prune raw hits past the window."""
    now = now or timezone.now()
    fields = ("day", "episode_id", "listener", "user_agent", "range_start", "range_end")
    rows = list(DownloadHit.objects.values_list(*fields).iterator(chunk_size=5000))
    days = sorted({row[0] for row in rows})
    total = len(rows)
    episode_ids = {row[1] for row in rows}
    shapes = {
        pk: AudioShape(size, bitrate, duration)
        for pk, size, bitrate, duration in Episode.objects.filter(pk__in=episode_ids).values_list(
            "pk", "audio_size", "audio_bitrate", "audio_duration"
        )
    }
    counts = count_downloads(rows, shapes=shapes)
    with transaction.atomic():
        DailyDownloads.objects.filter(day__in=days).delete()
        DailyDownloads.objects.bulk_create(
            DailyDownloads(day=day, episode_id=episode_id, app=app, device=device, downloads=n)
            for (day, episode_id, app, device), n in sorted(counts.items())
        )
    pruned = prune_raw(now=now) if prune else 0
    return Aggregation(days=days, hits=total, downloads=sum(counts.values()), pruned=pruned)


def prune_raw(*, now: datetime) -> int:
    """Delete raw hits and salts of days before yesterday (already counted for good)."""
    first_kept = timezone.localdate(now) - timedelta(days=KEEP_DAYS - 1)
    deleted, _ = DownloadHit.objects.filter(day__lt=first_kept).delete()
    DailySalt.objects.filter(day__lt=first_kept).delete()
    forget_salts()
    return deleted
