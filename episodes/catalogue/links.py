"""Links: absolute on the public origin (for feeds, guids and social cards), and the video a YouTube link names."""

import ipaddress
import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri

from episodes.media.remote_http import is_external

# Names that never leave one machine or one network (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal).
PRIVATE_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".invalid")


def absolute_url(url: str) -> str:
    """Make a site path absolute on SITE_URL; percent-encode non-ASCII (IRI → URI)."""
    if not url:
        return ""
    if not is_external(url):
        url = settings.SITE_URL + ("" if url.startswith("/") else "/") + url
    return iri_to_uri(url)


def is_public_origin(url: str) -> bool:
    """Whether an origin may name things forever (guids, podcast:guid): not loopback, localhost or a LAN name.

    Judged by the name alone, with no DNS lookup. `*.example.com` passes: the
    demo and the tests use it as their public origin.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(PRIVATE_NAME_SUFFIXES):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host  # a single label only resolves inside one network


# --- YouTube: the video id is what pages and feeds need -----------------------------------
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}


def youtube_video_id(url: str) -> str | None:
    """Return the 11-character id of a YouTube video URL, or None if it is not one.

    Accepts watch?v=, youtu.be/, /embed/, /shorts/, /live/ and /v/ forms.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"}:
        return None
    host = (parts.hostname or "").lower()
    candidate = None
    if host == "youtu.be":
        candidate = parts.path.lstrip("/").split("/")[0]
    elif host in _HOSTS:
        segments = [s for s in parts.path.split("/") if s]
        if segments[:1] == ["watch"]:
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in {"embed", "shorts", "live", "v"}:
            candidate = segments[1]
    if candidate and _VIDEO_ID.match(candidate):
        return candidate
    return None
