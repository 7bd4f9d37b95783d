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

import atexit
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

from episodes.analytics.models import DailySalt, DownloadHit
from episodes.serving.client_ip import client_ip, client_key

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
        # Back to the connection's own timeout afterwards (the OPTIONS "timeout", in seconds).
        before = int(float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)) * 1000)
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
            try:
                yield
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {before}")
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
    """Hits waiting for the table: after one write failed, the audio path tries none for a while.

    So a lock costs the audio path at most one bounded wait per interval
    (ANALYTICS_RECORD_BACKOFF_SECONDS) and process, not one per request queued
    behind it in the thread every synchronous view shares. Meanwhile hits wait
    here (the oldest dropped past MAX_WAITING), and a background thread writes
    them once the interval is over, allowed a longer wait since no listener
    waits on it; at exit they are written once more.
    """

    def __init__(self):
        self.waiting: deque[PendingHit] = deque(maxlen=MAX_WAITING)
        self.retry_at = 0.0
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def record(self, hit: PendingHit) -> None:
        with self.lock:
            self.waiting.append(hit)
            if time.monotonic() < self.retry_at:
                return
        self.flush(wait_ms=settings.ANALYTICS_RECORD_WAIT_MS)

    def flush(self, *, wait_ms: int) -> bool:
        """Write the waiting hits (up to FLUSH_AT_ONCE); on failure keep them and retry in the background."""
        with self.lock:
            batch = [self.waiting.popleft() for _ in range(min(len(self.waiting), FLUSH_AT_ONCE))]
        if not batch:
            return True
        try:
            with bounded_wait(wait_ms):
                DownloadHit.objects.bulk_create([pending.row() for pending in batch])
        except Exception:
            with self.lock:
                self.retry_at = time.monotonic() + settings.ANALYTICS_RECORD_BACKOFF_SECONDS
                self.waiting.extendleft(reversed(batch))
                self._retry_later()
            # Counting is worth less than the listener's audio: log, keep the hits, serve.
            logger.warning("download hits not recorded yet (%d waiting)", len(self.waiting), exc_info=True)
            return False
        return True

    def _retry_later(self) -> None:
        if self.timer is None or not self.timer.is_alive():
            self.timer = threading.Timer(max(settings.ANALYTICS_RECORD_BACKOFF_SECONDS, 0.1), self._retry)
            self.timer.daemon = True
            self.timer.start()

    def _retry(self) -> None:
        with self.lock:
            self.timer = None  # a failure below schedules the next try
        try:
            while self.waiting and self.flush(wait_ms=BACKGROUND_WAIT_MS):
                pass
        finally:
            connection.close()  # this thread's own connection

    def forget(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
            self.timer = None
            self.waiting.clear()
            self.retry_at = 0.0


MAX_WAITING = 10_000
FLUSH_AT_ONCE = 1_000
# Off the audio path a write may wait for a lock as long as SQLite's usual busy timeout allows.
BACKGROUND_WAIT_MS = 5_000
_buffer = _Buffer()


@atexit.register
def _write_waiting_at_exit() -> None:
    if _buffer.waiting:
        try:
            _buffer.flush(wait_ms=BACKGROUND_WAIT_MS)
        except Exception:  # the interpreter is going away: nothing more to do
            logger.exception("download hits lost at exit")


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
    """Drop the waiting hits, the back-off and the retry (tests: nothing carries over into the next one)."""
    _buffer.forget()


def forget_salts() -> None:
    """Drop the in-process salt (tests, and after the salt rows were pruned)."""
    _salts.clear()
