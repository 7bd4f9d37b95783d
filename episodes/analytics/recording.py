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
A hit that cannot be written in time is dropped and logged.
"""

import logging
import secrets
from contextlib import contextmanager
from datetime import date

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


def record_hit(request, *, episode_id: int, byte_range: tuple[int, int | None] | None, source: str) -> None:
    """Append one raw hit for a GET of an episode's audio; HEAD and failures record nothing.

    `byte_range` is (first, last) as served, last None for "to the end"; None
    means the whole file.
    """
    if request.method != "GET" or not settings.ANALYTICS_RECORDING:
        return
    try:
        now = timezone.now()
        day = timezone.localdate(now)
        user_agent = request.headers.get("User-Agent", "")[:400]
        start, end = byte_range if byte_range else (0, None)
        address = client_ip(request)
        with bounded_wait(settings.ANALYTICS_RECORD_WAIT_MS):
            DownloadHit.objects.create(
                at=now,
                day=day,
                episode_id=episode_id,
                listener=listener_hash(address=address, user_agent=user_agent, day=day),
                address=address_hash(address=address, day=day),
                user_agent=user_agent,
                range_start=start,
                range_end=end,
                source=source,
            )
    except Exception:
        # Counting is worth less than the listener's audio: log and serve.
        logger.exception("download hit not recorded")


def forget_salts() -> None:
    """Drop the in-process salt (tests, and after the salt rows were pruned)."""
    _salts.clear()
