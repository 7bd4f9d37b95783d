"""Responses kept as ready bytes, plain and gzip, valid for one content state.

A content state is the site revision plus the visible set. Scheduled episodes
change the visible set without any write, so the publication times still
ahead are read once per revision and the state counts how many have passed:
they appear on time. The ETag comes from that state, so a 304 needs one small
query (the revision) and nothing built.

Each process keeps one entry per path in memory (the bytes are served from
there), in front of the shared cache (one entry per path too, so another
process or server does not build it again). A new state's entry replaces the
old one under the same key: memory stays bounded whatever the number of edits.
"""

import bisect
import gzip
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from episodes.catalogue.models import Episode, SiteRevision
from episodes.serving import outage

logger = logging.getLogger(__name__)

# Paths kept in each process's memory; the least recently used goes first.
MEMORY_PATHS = 256


@dataclass(frozen=True)
class State:
    """The content state a response was made from: the revision and how many scheduled episodes are due."""

    revision: int
    changed_at: datetime | None
    due: int
    latest_due: datetime | None

    @cached_property
    def token(self) -> str:
        # Asked on every hit; a frozen instance computes it once (cached_property writes __dict__ itself).
        return f"{self.revision}|{self.changed_at}|{self.due}"

    @property
    def last_modified(self) -> int | None:
        """Whole seconds: HTTP dates have no fractions, so If-Modified-Since can match."""
        moments = [moment for moment in (self.changed_at, self.latest_due) if moment]
        return int(max(moments).timestamp()) if moments else None

    def etag(self, key: str) -> str:
        return '"' + hashlib.sha256(f"{key}|{self.token}".encode()).hexdigest()[:32] + '"'

    def not_modified(self, request: HttpRequest, key: str) -> HttpResponse | None:
        """A 304 when the client already holds `key` at this state, before anything is built; else None."""
        response = get_conditional_response(request, etag=self.etag(key), last_modified=self.last_modified)
        if response is None:
            return None
        response["ETag"] = self.etag(key)
        if self.last_modified:
            response["Last-Modified"] = http_date(self.last_modified)
        return response


# How long the event loop may answer from the revision this process last read
# (recent_state) before asking the database again. Edits made in this process
# are seen at once; another process's, within this. Staff never see it: their
# session cookie sends them to Django, which always asks.
REVISION_TRUST_SECONDS = 0.1


@dataclass(frozen=True)
class _Reading:
    """One reading of the revision, with the publication times still ahead at it.

    The visible set changes without a write only when one of those times passes.
    """

    at: float
    moves_here: int
    revision: int
    changed_at: datetime | None
    ahead: list[datetime]
    # (until, state): the state stays what it is until the next publication time ahead passes.
    _made: list = field(default_factory=list, compare=False, repr=False)

    def state(self) -> State:
        made = self._made
        if made and time.time() < made[0]:
            return made[1]
        due = bisect.bisect_right(self.ahead, timezone.now())
        state = State(self.revision, self.changed_at, due, self.ahead[due - 1] if due else None)
        until = self.ahead[due].timestamp() if due < len(self.ahead) else math.inf
        made[:] = [until, state]
        return state


_reading: _Reading | None = None


def current_state() -> State:
    """The content state now: one small query (two on the first request after a write).

    Raises outage.DatabaseUnavailable, at once while the database's circuit is open.
    """
    global _reading
    if not outage.database.allows():
        raise outage.DatabaseUnavailable
    # Both before the query: a move during it makes this reading old, and its age counts from here.
    at, moves_here = time.monotonic(), SiteRevision.moves_here
    try:
        revision, changed_at = SiteRevision.current()
        reading = _reading
        if reading is None or (reading.revision, reading.changed_at) != (revision, changed_at):
            ahead = list(Episode.objects.scheduled().order_by("published_at").values_list("published_at", flat=True))
        else:
            ahead = reading.ahead
    except outage.DATABASE_ERRORS as error:
        if outage.is_outage(error):
            outage.database.trip(error)
        raise outage.DatabaseUnavailable from error
    outage.database.succeeded()
    reading = _Reading(at, moves_here, revision, changed_at, ahead)
    if _reading is None or _reading.at <= at:  # a slower thread's older reading does not replace a newer one
        _reading = reading
    return reading.state()


def recent_state(trust: float | None = None) -> State | None:
    """The content state from a reading under `trust` seconds old (REVISION_TRUST_SECONDS) and no edit here since.

    No query. None when there is no such reading: ask current_state().
    """
    reading = _reading
    trust = REVISION_TRUST_SECONDS if trust is None else trust
    if reading is None or reading.moves_here != SiteRevision.moves_here or time.monotonic() - reading.at > trust:
        return None
    return reading.state()


def forget_reading() -> None:
    """Drop this process's last reading and any outage it noted (tests: each has its own database)."""
    global _reading
    _reading = None
    outage.database.reset()
    outage.shared_cache.reset()


# The headers Ready.respond sets for each request itself; a stored response keeps the others.
PER_REQUEST_HEADERS = frozenset({"content-length", "etag", "last-modified", "content-encoding"})


@dataclass(frozen=True)
class Ready:
    """One response's bytes, both encodings, with the headers to send them with."""

    token: str
    etag: str
    last_modified: int | None
    headers: tuple[tuple[str, str], ...]
    plain: bytes
    gzipped: bytes

    @classmethod
    def make(cls, *, state: State, key: str, headers, body: bytes) -> "Ready":
        # mtime=0: the same bytes for the same body, whichever process builds it.
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        return cls(state.token, state.etag(key), state.last_modified, tuple(headers), body, gzipped)

    @cached_property
    def raw_headers(self) -> tuple[list, list]:
        """The per-request headers `respond` would add to a 200, plain then gzip, as ASGI bytes.

        Made on a process's first hit of this response (the ASGI fast path sends them as they are).
        """

        def own(use_gzip: bool) -> list:
            body = self.gzipped if use_gzip else self.plain
            headers = [(b"content-length", str(len(body)).encode())]
            if use_gzip:
                headers.append((b"content-encoding", b"gzip"))
            # As Django's GZipMiddleware does: the gzip bytes are another representation.
            headers.append((b"etag", (f"W/{self.etag}" if use_gzip else self.etag).encode("latin-1")))
            if self.last_modified:
                headers.append((b"last-modified", http_date(self.last_modified).encode("latin-1")))
            return headers

        return own(False), own(True)

    def respond(self, request: HttpRequest) -> HttpResponse:
        """A 304, or the body in the encoding the client accepts."""
        response = get_conditional_response(request, etag=self.etag, last_modified=self.last_modified)
        if response is None:
            response = HttpResponse()
            for name, value in self.headers:
                response[name] = value
            use_gzip = re_accepts_gzip.search(request.headers.get("Accept-Encoding", ""))
            response.content = self.gzipped if use_gzip else self.plain
            response["Content-Length"] = str(len(response.content))
            if use_gzip:
                response["Content-Encoding"] = "gzip"
            patch_vary_headers(response, ("Accept-Encoding",))
            # As Django's GZipMiddleware does: the gzip bytes are another representation.
            response["ETag"] = f"W/{self.etag}" if use_gzip else self.etag
        else:
            response["ETag"] = self.etag
        if self.last_modified:
            response["Last-Modified"] = http_date(self.last_modified)
        return response


class Store:
    """Ready responses by key: this process's memory first, then the shared cache."""

    def __init__(self, prefix: str, *, timeout: int | None = None):
        self.prefix = prefix
        self.timeout = timeout
        self._memory: OrderedDict[str, Ready] = OrderedDict()
        self._lock = threading.Lock()

    def cache_key(self, key: str) -> str:
        return f"zundapod:{self.prefix}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"

    def latest(self, key: str) -> Ready | None:
        """The newest entry for `key`, whichever state it was made for."""
        with self._lock:
            ready = self._memory.get(key)
            if ready is not None:
                self._memory.move_to_end(key)
                return ready
        ready = _shared(cache.get, self.cache_key(key))
        if ready is not None:
            self._remember(key, ready)
        return ready

    def stale(self, request: HttpRequest, key: str) -> HttpResponse | None:
        """The freshest bytes at hand for `key` while the database is out, logged as stale; None without any."""
        ready = self.latest(key)
        if ready is None:
            return None
        logger.warning("stale %s served: the database is unavailable", request.path)
        return ready.respond(request)

    def remembered(self, key: str, state: State) -> Ready | None:
        """The entry for `key` made from `state` if this process holds it: no cache, no database."""
        with self._lock:
            ready = self._memory.get(key)
            if ready is not None and ready.token == state.token:
                self._memory.move_to_end(key)
                return ready
        return None

    def remembered_any(self, key: str) -> Ready | None:
        """Whatever this process holds for `key`, of any state: no cache, no database (an outage's answer)."""
        with self._lock:
            return self._memory.get(key)

    def get(self, key: str, state: State) -> Ready | None:
        """The entry for `key` made from `state`, if there is one."""
        ready = self.remembered(key, state)
        if ready is not None:
            return ready
        ready = _shared(cache.get, self.cache_key(key))
        if ready is not None and ready.token == state.token:
            self._remember(key, ready)
            return ready
        return None

    def put(self, key: str, ready: Ready) -> None:
        """Keep `ready`, replacing whatever `key` held before (here and in the shared cache)."""
        self._remember(key, ready)
        _shared(cache.set, self.cache_key(key), ready, self.timeout)

    def _remember(self, key: str, ready: Ready) -> None:
        with self._lock:
            self._memory[key] = ready
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_PATHS:
                self._memory.popitem(last=False)

    def forget(self) -> None:
        """Empty this process's memory (tests; the shared cache has its own clear())."""
        with self._lock:
            self._memory.clear()


def _shared(operation, *args):
    """A shared-cache call that a dead or full cache turns into "nothing there" (its circuit then skips it)."""
    if not outage.shared_cache.allows():
        return None
    try:
        result = operation(*args)
    except outage.CACHE_ERRORS as error:
        outage.shared_cache.trip(error)
        return None
    outage.shared_cache.succeeded()
    return result
