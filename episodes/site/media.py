"""Serving uploaded media in the embedded default, with HTTP Range support.

Podcast apps and Safari on iPhone refuse audio from a server that cannot
answer `Range` requests, and seek by asking for byte ranges. This view streams
from storage in chunks, so memory stays flat whatever the file's size. With
S3 storage configured it is not routed at all: media URLs point at the bucket.

Files follow their episode: a draft's audio, image and thumbnail are for
staff who may view episodes, a pending upload for its uploader only.

Under ASGI (`make run`) the bytes go out from an async iterator: the event
loop sends each chunk when the client's connection drains, so a listener on
a slow phone holds a socket, not a thread. Under WSGI a plain iterator does
the same job the only way WSGI can, one worker thread per download. Behind
nginx, MEDIA_ACCEL_REDIRECT hands the sending to it (docs/deploy.md).
"""

import asyncio
import mimetypes
import os
import posixpath
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from episodes.analytics.recording import record_hit
from episodes.catalogue.models import Episode
from episodes.media.pending_uploads import PENDING_FOLDER, pending_owner

CHUNK_SIZE = 64 * 1024
# Where an episode's own images are stored (models/uploads.py): served only as the episode is.
EPISODE_IMAGE_FOLDERS = ("images/episode/", "images/thumbnails/")
# ASCII digits, at most 18 (below 2**63): `int()` of 4,300 digits raises, and no file is that large.
_RANGE = re.compile(r"^bytes=([0-9]{0,18})-([0-9]{0,18})$")


class Unsatisfiable(Exception):
    """The requested range lies outside the file."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Return (first, last) byte positions, None to send the whole file.

    Malformed headers and multi-range requests are ignored (RFC 9110 allows
    answering them with the full representation); ranges past the end raise
    `Unsatisfiable`.
    """
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1)


def requested_range(request, size: int | None) -> tuple[int, int | None] | None:
    """The Range a client asked for, as far as it can be placed (None: the whole file).

    For counting where the bytes are sent by someone else (nginx, a CDN). Without
    a known size an open range `N-` stays open (last None). Raises
    `Unsatisfiable` for a range past the end, which is no download.
    """
    header = request.headers.get("Range")
    if not header:
        return None
    parsed = parse_range(header, size or 2**62)
    if parsed is None:
        return None
    start, end = parsed
    return start, None if not size and end == 2**62 - 1 else end


def record_requested(request, *, episode_id: int, size: int | None, source: str) -> None:
    """Record a hit for audio sent by someone else (nginx, a redirect's target) from the Range asked for."""
    try:
        byte_range = requested_range(request, size)
    except Unsatisfiable:
        return
    record_hit(request, episode_id=episode_id, byte_range=byte_range, source=source)


def _stream(fileobj, start: int, length: int) -> Iterator[bytes]:
    try:
        fileobj.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fileobj.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fileobj.close()


def visible_audio_episode(request, path: str) -> Episode | None:
    """The episode whose audio `path` is, if the requester may hear it.

    A draft's or scheduled episode's audio is for staff who may view episodes;
    a deleted episode's file, or one replaced by a new upload, is never served.
    """
    # Every Range request of every app asks this: one indexed lookup, no sort.
    episode = Episode.objects.filter(audio_file=path).only("status", "published_at", "audio_size").order_by()[:1]
    episode = episode[0] if episode else None
    if episode is not None and (episode.is_public or request.user.has_perm("catalogue.view_episode")):
        return episode
    return None


async def _astream(path: str, start: int, length: int) -> AsyncIterator[bytes]:
    """`_stream` under ASGI: each read in the default thread pool, so a cold disk never stalls the event loop."""
    fileobj = await asyncio.to_thread(default_storage.open, path, "rb")
    chunks = _stream(fileobj, start, length)
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            yield chunk
    finally:
        chunks.close()
        fileobj.close()  # also when no read began (closing an unstarted generator skips its finally)


def _handed_to_nginx(request, path: str, episode: Episode | None) -> HttpResponse:
    """nginx sends the file (sendfile, Range, HEAD, 304, 404) from its internal location: nothing to stat here."""
    content_type, inline = _served_type(path)
    if episode is not None and not request.headers.get("If-None-Match", request.headers.get("If-Modified-Since")):
        record_requested(request, episode_id=episode.pk, size=episode.audio_size, source="media")
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(path)
    response["Cache-Control"] = "public, max-age=86400"
    if not inline:
        response["Content-Disposition"] = "attachment"
    return response


def _served_type(path: str) -> tuple[str, bool]:
    """(Content-Type, inline): uploads are audio and images; anything else is never rendered on this origin."""
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    inline = content_type.startswith(("audio/", "image/")) and content_type != "image/svg+xml"
    return (content_type if inline else "application/octet-stream"), inline


# What a file that only some may see says to caches on the way: keep it out of shared ones.
PRIVATE = "private, no-cache"
PUBLIC = "public, max-age=86400"


def may_see_pending(request, path: str) -> bool:
    """A pending upload is for the staff user who uploaded it, nobody else (pending_uploads.py)."""
    owner = pending_owner(path)
    return owner is not None and request.user.is_staff and request.user.pk == owner


def episode_image_access(request, path: str) -> tuple[bool, bool]:
    """(may see, is public) for an episode's image or thumbnail: it follows its episode.

    Only files under an episode's folders are asked about (one query); a show's or a
    voice's artwork stays public. A file no episode holds (deleted, replaced) is not served.
    """
    episode = Episode.objects.filter(Q(image=path) | Q(thumbnail=path)).only("status", "published_at").first()
    if episode is None:
        return False, False
    return episode.is_public or request.user.has_perm("catalogue.view_episode"), episode.is_public


def _access(request, name: str) -> tuple[bool, bool]:
    """(may see, is public) for a stored file other than audio."""
    if name.split("/", 1)[0] == PENDING_FOLDER:
        return may_see_pending(request, name), False
    if name.startswith(EPISODE_IMAGE_FOLDERS):
        return episode_image_access(request, name)
    return True, True


@require_safe
def serve_media(request, path: str):
    """GET or HEAD a stored file, whole or by byte range."""
    storage = default_storage
    # Checked on the name the storage will open: `images/../audio/…` and `./audio/…` are audio too.
    name = posixpath.normpath(path)
    episode = None
    if name.split("/", 1)[0] == "audio":
        episode = visible_audio_episode(request, name)
        if episode is None:
            raise Http404("ファイルが見つかりません。")
        public = episode.is_public
    else:
        allowed, public = _access(request, name)
        if not allowed:
            raise Http404("ファイルが見つかりません。")
    cache_control = PUBLIC if public else PRIVATE
    if settings.MEDIA_ACCEL_REDIRECT:
        response = _handed_to_nginx(request, path, episode)
        response["Cache-Control"] = cache_control
        return response
    try:
        # A trailing slash would name the same file twice; folders are never served.
        if path.endswith("/") or not os.path.isfile(storage.path(path)):
            raise FileNotFoundError(path)
        size = storage.size(path)
        modified = storage.get_modified_time(path)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, SuspiciousFileOperation, OSError) as exc:
        raise Http404("ファイルが見つかりません。") from exc

    last_modified = http_date(modified.timestamp())
    etag = f'"{size:x}-{int(modified.timestamp()):x}"'
    content_type, inline = _served_type(path)
    common = {
        "Accept-Ranges": "bytes",
        "Last-Modified": last_modified,
        "ETag": etag,
        # Every upload has a fresh URL, so stored bytes never change under it; a draft's stay private.
        "Cache-Control": cache_control,
    }

    if_none_match = request.headers.get("If-None-Match")
    if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if (if_none_match and (if_none_match.strip() == "*" or etag in if_none_match)) or (
        not if_none_match and if_modified_since and int(modified.timestamp()) <= if_modified_since
    ):
        response = HttpResponse(status=304)
        for key, value in common.items():
            response[key] = value
        return response

    byte_range = None
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (not if_range or if_range in (etag, last_modified)):
        try:
            byte_range = parse_range(range_header, size)
        except Unsatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response

    start, end = byte_range if byte_range else (0, size - 1)
    length = max(end - start + 1, 0)
    status = 206 if byte_range else 200

    if episode is not None:
        record_hit(request, episode_id=episode.pk, byte_range=byte_range, source="media")
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    elif isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(_astream(path, start, length), status=status, content_type=content_type)
    else:
        fileobj = storage.open(path, "rb")
        response = StreamingHttpResponse(_stream(fileobj, start, length), status=status, content_type=content_type)
    for key, value in common.items():
        response[key] = value
    if not inline:
        response["Content-Disposition"] = "attachment"
    response["Content-Length"] = str(length)
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


@require_safe
def listen(request, pk: int, filename: str):
    """The counting URL for audio the site does not serve itself (object storage, a CDN, another host).

    Record a hit, then 302 to the audio's real address (a measurement prefix, as hosts use).
    """
    episode = get_object_or_404(Episode.objects.published().only("audio_file", "audio_url", "audio_size"), pk=pk)
    record_requested(request, episode_id=episode.pk, size=episode.audio_size, source="listen")
    return redirect(request.build_absolute_uri(episode.audio_src))
