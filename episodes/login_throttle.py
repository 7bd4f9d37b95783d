"""Admin login throttling with django-axes: after too many failures, a wait and a page that says so.

axes counts failures per user name and per address (settings.AXES_*); this
module adapts it to the site: logins made without a request (a script, the
test client's `login()`) pass through untouched, and a refused login gets a
Japanese page with the wait instead of axes' English line.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

from . import letters


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' gate in front of the password check; a call with no request has no address to count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


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
    minutes = cooloff_minutes()
    context = {**admin.site.each_context(request), "title": "ログインを一時的に止めています", "minutes": minutes}
    response = render(request, "admin/login_locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
