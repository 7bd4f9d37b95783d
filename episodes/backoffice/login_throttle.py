"""Admin login throttling with django-axes: after too many failures, a wait and a page that says so.

axes locks a user name *from one address* and an address whatever the name
(settings.AXES_*), so a stranger can lock only themselves: five wrong
passwords for a name from five addresses used to lock the name, and the
right password from a sixth was refused and counted as one more failure.
Across all addresses a name has a cap that only slows: past
`LOGIN_NAME_SLOWDOWN_AFTER` failures within the cool-off, one password check
per `LOGIN_NAME_SLOWDOWN_SECONDS` for that name; the others are asked to
wait those seconds, are not counted as failures, and the right password
still works once its turn comes. This module also lets logins made without
a request (a script, the test client's `login()`) through untouched, and
gives a refused login a Japanese page instead of axes' English line.
"""

import hashlib
import logging

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

from episodes.letters import inbox as letters

logger = logging.getLogger(__name__)


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' gate in front of the password check, then the per-name slowdown; no request, no address to count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        if username and name_is_slowed(username):
            request.login_slowed = True  # read by not_counted (axes skips it) and locked_out (the page)
            request.axes_locked_out = True
            raise PermissionDenied("too many failures for this user name: slowed down")
        return None


def failures_for_name(username: str) -> int:
    """Failures for `username` from every address within the cool-off (axes' rows, one per address and agent)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return rows.aggregate(total=Sum("failures_since_start"))["total"] or 0


def slowdown_key(username: str) -> str:
    """The cache key holding a slowed name's turn (hashed: a user name is any text)."""
    return "login-slowdown:" + hashlib.sha256(username.encode()).hexdigest()[:32]


def name_is_slowed(username: str) -> bool:
    """Whether this attempt must wait: the name is past the global cap and its one check per interval is taken."""
    if failures_for_name(username) < settings.LOGIN_NAME_SLOWDOWN_AFTER:
        return False
    try:
        return not cache.add(slowdown_key(username), 1, timeout=settings.LOGIN_NAME_SLOWDOWN_SECONDS)
    except Exception:
        # A cache that cannot answer must not lock anyone out: the per-address locks still hold.
        logger.warning("login slowdown: the cache did not answer; attempt let through", exc_info=True)
        return False


def not_counted(request, credentials=None) -> bool:
    """axes' whitelist hook: an attempt the slowdown turned away was never a password check, so no failure."""
    return bool(getattr(request, "login_slowed", False))


def client_ip(request) -> str | None:
    """The address axes counts: the letters' reading of it, or None when there is none.

    A login without a network peer (the test client's `login()`, a script) has no
    address; "unknown" would fail PostgreSQL's inet column when axes looks it up.
    """
    address = letters.client_ip(request)
    return None if address == "unknown" else address


def cooloff_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_out(request, original_response=None, credentials=None):
    """429 with how long to wait, in the admin's own frame."""
    if getattr(request, "login_slowed", False):
        seconds = settings.LOGIN_NAME_SLOWDOWN_SECONDS
        context = {
            **admin.site.each_context(request),
            "title": "少し待ってからログインしてください",
            "seconds": seconds,
        }
        response = render(request, "admin/login_slowed.html", context, status=429)
        response["Retry-After"] = str(seconds)
        return response
    minutes = cooloff_minutes()
    context = {**admin.site.each_context(request), "title": "ログインを一時的に止めています", "minutes": minutes}
    response = render(request, "admin/login_locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
