"""The IAB v2 counting rules, applied to raw hits: what makes a download.

- One download per listener (hashed address + user agent) per episode per
  day. The day is the station's calendar day (TIME_ZONE), the 24-hour window
  the listener's salt lives for, so the hash can never link two days.
- Byte ranges count only once those seen for the listener cover at least one
  minute of audio (bytes for a minute at the file's bitrate, or the whole of
  a shorter file): an iOS `bytes=0-1` probe never counts alone.
- Bots (the OPAWG list's bots and bot libraries, known-bot words, an empty
  user agent) never count.
- Abnormal activity from one address, as the IAB guidelines ask to filter it
  (issue 24, finding 6): more than `ANALYTICS_MAX_AGENTS_PER_ADDRESS` user
  agents asking one address for one episode in a day is user-agent rotation,
  and the address counts as one listener (its ranges together, the app of
  the first agent that is no bot); and one address counts at most
  `ANALYTICS_MAX_DOWNLOADS_PER_ADDRESS` downloads a day (episodes in id
  order). A household's two or three devices stay separate listeners.

Counting happens in Python, not SQL, so SQLite and PostgreSQL give the same
numbers. It is incremental and streams (aggregation.py): each run recounts
only the addresses with new hits, reading their hits in order, one address
at a time, and never holds more than one address-day in memory.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from episodes.analytics import agents

if TYPE_CHECKING:
    from episodes.analytics.aggregation import Aggregation


def aggregate_downloads(*, now: datetime | None = None, prune: bool = True) -> "Aggregation":
    """The `aggregate_downloads` command's entry (and the periodic task's): count new hits, prune old ones.

    Kept here under its old name and signature; the work is in aggregation.py (which imports
    the rules below, hence the late import).
    """
    from episodes.analytics.aggregation import aggregate

    return aggregate(now=now, prune=prune)


# When a file's bitrate is unknown, a minute is counted at 128 kbps (the IAB's own example rate).
DEFAULT_BITRATE = 128_000


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


# Ranges kept per listener before they are merged; once a minute is covered no more are kept.
MERGE_EVERY = 32


@dataclass
class Coverage:
    """The byte ranges one listener (or one rotating address) asked for, until they reach a minute."""

    user_agent: str
    ranges: list = field(default_factory=list)
    qualified: bool = False

    def add(self, start: int, end: int | None, shape: AudioShape) -> None:
        if self.qualified:
            return
        self.ranges.append((start, end))
        if len(self.ranges) >= MERGE_EVERY:
            self.settle(shape)

    def settle(self, shape: AudioShape) -> bool:
        """Merge the ranges; True (and forget them) once they cover a minute of this audio."""
        if not self.qualified:
            covered = covered_bytes(self.ranges, size=shape.size)
            if covered >= shape.minute_bytes():
                self.qualified, self.ranges = True, []
            else:
                self.ranges = _merged(self.ranges, size=shape.size)
        return self.qualified


def _merged(ranges, *, size: int | None) -> list[tuple[int, int]]:
    last_byte = size - 1 if size else 2**62
    merged: list[list[int]] = []
    for start, end in sorted((s, min(last_byte if e is None else e, last_byte)) for s, e in ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(pair) for pair in merged]


@dataclass
class EpisodeAtAddress:
    """One episode's hits from one address in one day, listener by listener until rotation is seen."""

    shape: AudioShape
    max_agents: int
    listeners: dict = field(default_factory=dict)
    agents_seen: list = field(default_factory=list)  # in order of first appearance, at most max_agents + 1
    rotating: Coverage | None = None

    def add(self, listener: str, user_agent: str, start: int, end: int | None) -> None:
        if self.rotating is not None:
            self.rotating.add(start, end, self.shape)
            return
        if listener not in self.listeners:
            self.listeners[listener] = Coverage(user_agent)
            self.agents_seen.append(user_agent)
            if len(self.agents_seen) > self.max_agents:
                self._start_rotating()
                self.rotating.add(start, end, self.shape)
                return
        self.listeners[listener].add(start, end, self.shape)

    def _start_rotating(self) -> None:
        # From here on the address is one listener: every range so far and later, together.
        union = Coverage("")
        for coverage in self.listeners.values():
            union.qualified = union.qualified or coverage.qualified
            union.ranges += coverage.ranges
        union.settle(self.shape)
        self.rotating, self.listeners = union, {}

    def downloads(self) -> list[agents.Agent]:
        """The agents of the downloads this episode counts from this address."""
        if self.rotating is not None:
            if not self.rotating.settle(self.shape):
                return []
            first = next((a for ua in self.agents_seen if not (a := agents.classify(ua)).is_bot), None)
            return [first] if first else []
        counted = []
        for coverage in self.listeners.values():
            # Coverage first: a probe flood of unseen user agents costs no classification (~1 ms each).
            if coverage.settle(self.shape) and not (agent := agents.classify(coverage.user_agent)).is_bot:
                counted.append(agent)
        return counted


def count_address(
    hits: Iterable[tuple[int, str, str, int, int | None]],
    *,
    shapes: dict[int, AudioShape],
    unknown_address: bool,
    max_agents: int,
    max_downloads: int,
) -> Counter:
    """Downloads per (episode id, app, device) from one address's hits of one day, in (episode, time) order.

    Hits are (episode id, listener, user agent, first, last). An unknown
    address (hits recorded before addresses were) is not one client: its
    listeners get no rotation rule and no cap.
    """
    counts: Counter = Counter()
    total = 0
    current, group = None, None

    def close() -> None:
        nonlocal total
        if group is None:
            return
        for agent in group.downloads():
            if unknown_address or total < max_downloads:
                counts[(current, agent.app, agent.device)] += 1
                total += 1

    for episode_id, listener, user_agent, start, end in hits:
        if episode_id not in shapes:  # the episode was deleted
            continue
        if episode_id != current:
            close()
            limit = 10**9 if unknown_address else max_agents
            current, group = episode_id, EpisodeAtAddress(shapes[episode_id], limit)
        group.add(listener, user_agent, start, end)
    close()
    return counts
