"""YouTube links: the video id is what pages and feeds need."""

import re
from urllib.parse import parse_qs, urlsplit

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
