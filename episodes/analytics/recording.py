"""Recording a hit on the audio path: one INSERT, and the audio goes out whatever happens here.

The address never reaches the database: the listener is an HMAC (key derived
from SECRET_KEY) of the day's random salt, the address and the user agent;
the address alone gets its own HMAC (`address`), which the counting rules
use for per-address caps and user-agent rotation. The salt is read once per
process and day.

The INSERT may wait at most `ANALYTICS_RECORD_WAIT_MS` for a lock (a
PostgreSQL lock and statement timeout, SQLite's busy timeout for that
statement): a locked raw-hits table used to hold the audio, then the
thread every synchronous view shares, then the pool (issue 24, finding 7).
A hit that cannot be written in time waits in this process's memory and
goes with the next write that succeeds (see _Buffer).
"""

import logging
import secrets
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..letters import client_ip, client_key
from ..models import DailySalt, DownloadHit

logger = logging.getLogger(__name__)

_salts: dict[date, str] = {}


def day_salt(day: date) -> str:
    """The salt of `day`, created by whichever process asks first."""
    salt = _salts.get(day)
    if salt is None:
        try:
            salt = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_hex(32)})[0].salt
        except IntegrityError:  # another process created it between our SELECT and INSERT
            salt = DailySalt.objects.get(day=day).salt
        _salts.clear()  # one day at a time: yesterday's salt is not kept in memory
        _salts[day] = salt
    return salt


def listener_hash(*, address: str, user_agent: str, day: date) -> str:
    """The listener's identity for one day; unlinkable to other days and to the address."""
    value = f"{day_salt(day)}\n{client_key(address)}\n{user_agent}"
    return salted_hmac("episodes.analytics.listener", value, algorithm="sha256").hexdigest()[:32]


def address_hash(*, address: str, day: date) -> str:
    """The address alone for one day (an IPv6 host as its /64), for the per-address rules."""
    value = f"{day_salt(day)}\n{client_key(address)}"
    return salted_hmac("episodes.analytics.address", value, algorithm="sha256").hexdigest()[:32]


@contextmanager
def bounded_wait(milliseconds: int):
    """The statements inside wait at most `milliseconds` for a lock, then fail instead of holding the audio."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{milliseconds * 2}ms"])
            yield
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
            try:
                yield
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {int(before)}")
    else:
        yield


@dataclass(frozen=True)
class PendingHit:
    """A hit not written yet: kept in this process's memory only (the address never reaches the database)."""

    at: datetime
    episode_id: int
    address: str
    user_agent: str
    range_start: int
    range_end: int | None
    source: str

    def row(self) -> DownloadHit:
        day = timezone.localdate(self.at)
        return DownloadHit(
            at=self.at,
            day=day,
            episode_id=self.episode_id,
            listener=listener_hash(address=self.address, user_agent=self.user_agent, day=day),
            address=address_hash(address=self.address, day=day),
            user_agent=self.user_agent,
            range_start=self.range_start,
            range_end=self.range_end,
            source=self.source,
        )


class _Buffer:
    """Hits waiting for the table: after one write failed, none is tried for ANALYTICS_RECORD_BACKOFF_SECONDS.

    So a lock costs the audio path at most one bounded wait per interval
    and process, not one per request queued behind it in the thread every
    synchronous view shares. The next write that goes through takes the
    waiting hits along (up to FLUSH_AT_ONCE); a full buffer drops the oldest.
    """

    def __init__(self):
        self.waiting: deque[PendingHit] = deque(maxlen=MAX_WAITING)
        self.retry_at = 0.0
        self.lock = threading.Lock()

    def record(self, hit: PendingHit) -> None:
        with self.lock:
            self.waiting.append(hit)
            if time.monotonic() < self.retry_at:
                return
            batch = [self.waiting.popleft() for _ in range(min(len(self.waiting), FLUSH_AT_ONCE))]
        try:
            with bounded_wait(settings.ANALYTICS_RECORD_WAIT_MS):
                DownloadHit.objects.bulk_create([pending.row() for pending in batch])
        except Exception:
            with self.lock:
                self.retry_at = time.monotonic() + settings.ANALYTICS_RECORD_BACKOFF_SECONDS
                self.waiting.extendleft(reversed(batch))
            # Counting is worth less than the listener's audio: log, keep the hits, serve.
            logger.warning("download hits not recorded yet (%d waiting)", len(self.waiting), exc_info=True)


MAX_WAITING = 10_000
FLUSH_AT_ONCE = 1_000
_buffer = _Buffer()


def record_hit(request, *, episode_id: int, byte_range: tuple[int, int | None] | None, source: str) -> None:
    """Append one raw hit for a GET of an episode's audio; HEAD and failures record nothing.

    `byte_range` is (first, last) as served, last None for "to the end"; None
    means the whole file.
    """
    if request.method != "GET" or not settings.ANALYTICS_RECORDING:
        return
    try:
        start, end = byte_range if byte_range else (0, None)
        user_agent = request.headers.get("User-Agent", "")[:400]
        hit = PendingHit(timezone.now(), episode_id, client_ip(request), user_agent, start, end, source)
        _buffer.record(hit)
    except Exception:
        logger.exception("download hit not recorded")


def waiting_hits() -> int:
    """Hits this process holds because the table could not take them (for the logs and tests)."""
    return len(_buffer.waiting)


def forget_waiting() -> None:
    """Drop the waiting hits and the back-off (tests: nothing carries over into the next one)."""
    with _buffer.lock:
        _buffer.waiting.clear()
        _buffer.retry_at = 0.0


def forget_salts() -> None:
    """Drop the in-process salt (tests, and after the salt rows were pruned)."""
    _salts.clear()
