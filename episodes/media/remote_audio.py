"""Size, length and type of audio that lives at an external URL.

Much of the archive's audio sits on cloud storage, linked by absolute URL. The
first request is a GET of the file's first block with a `Range` header. A
server that honours it answers 206, whose `Content-Range` gives the size (a
`HEAD` is sent only when it leaves the size out); mutagen, through
`audio.probe_audio` (the same rules as for uploads), then reads a file that
fetches only the blocks it touches: the header, and the tail where ID3v1 tags
live and the size-based length estimate looks. A server that ignores `Range`
answers 200 with the whole file, which is spooled to a temporary file up to a
size cap and probed there. The HTTP itself (timeouts, retries, the ranged
file) is in `remote_http`.
"""

from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import BinaryIO
from urllib.error import HTTPError
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri

from episodes.media.audio import MIME_M4A, MIME_MP3, AudioError, AudioInfo, probe_audio
from episodes.media.remote_http import (
    BLOCK_SIZE,
    Http,
    HttpRangeFile,
    ProbeStats,
    RemoteAudioError,
    content_range,
    int_header,
    media_type,
    require_public_host,
)

# What a probe may download at most (settings.PROBE_AUDIO_MAX_DOWNLOAD overrides it).
SPOOL_IN_MEMORY = 8 * 1024 * 1024

# What a server may call MP3 or M4A; only these let the timeline stand in for the length.
AUDIO_TYPES = {
    "audio/mpeg": MIME_MP3,
    "audio/mp3": MIME_MP3,
    "audio/mpeg3": MIME_MP3,
    "audio/x-mpeg": MIME_MP3,
    "audio/x-mp3": MIME_MP3,
    "audio/mp4": MIME_M4A,
    "audio/m4a": MIME_M4A,
    "audio/x-m4a": MIME_M4A,
}
NOT_AUDIO_TYPES = {"application/json", "application/xml", "application/xhtml+xml"}


def probe_remote_audio(
    url: str,
    *,
    timeout: float = 10,
    retries: int = 2,
    backoff: float = 0.5,
    max_download: int | None = None,
    fallback_duration: float | None = None,
    stats: ProbeStats | None = None,
) -> AudioInfo:
    """Size, length, type and bitrate of the audio at `url`, reading as little of it as the server allows.

    `timeout` is per network operation; a request failing for a temporary reason
    is tried `retries` more times, waiting `backoff` seconds, then twice that,
    and so on. `fallback_duration` (the timeline's length) is used when the size
    is known and the server calls the file MP3 or M4A but mutagen finds no
    length. Pass a `ProbeStats` to learn what the probe cost. Raises
    `RemoteAudioError` (an `AudioError`) when size or length stays unknown.
    """
    stats = stats if stats is not None else ProbeStats()
    http = Http(timeout=timeout, retries=retries, backoff=backoff, stats=stats)
    budget = max_download if max_download is not None else _max_download()
    uri = _checked_url(url)
    opened = http.attempt(lambda: _first_request(http, uri, budget))
    size = opened.size
    if size is None and opened.first is not None:
        size = http.attempt(lambda: _head_size(http, opened.url))
    if not size:
        opened.close()
        if size == 0:
            raise RemoteAudioError("空のファイル", message="外部の音声ファイルが空です。")
        raise RemoteAudioError("サイズ不明", message="サーバーが音声ファイルのサイズを返しません。")

    if opened.spool is not None:
        fileobj: BinaryIO | None = opened.spool
    elif opened.first is not None:
        fileobj = HttpRangeFile(http, opened.url, size=size, first=opened.first, budget=budget)
    else:
        fileobj = None
    if fileobj is None:
        unreadable = RemoteAudioError(
            "大きすぎて読めない",
            message=f"サーバーが範囲指定の取得に対応しておらず、ファイルが大きすぎて（{size:,} バイト）長さを読み取れません。",
        )
    else:
        with fileobj:
            try:
                info = probe_audio(fileobj)
            except AudioError as exc:
                unreadable = RemoteAudioError("MP3/M4A として読めない", message=str(exc))
            else:
                unreadable = None
            # A network failure inside mutagen surfaces as "not audio": report the real cause.
            if isinstance(fileobj, HttpRangeFile) and fileobj.error is not None:
                raise fileobj.error
        if unreadable is None:
            return info
    mime = AUDIO_TYPES.get(opened.content_type)
    if mime and fallback_duration is not None and fallback_duration > 0:
        stats.duration_from_fallback = True
        return AudioInfo(size=size, duration=float(fallback_duration), mime_type=mime, bitrate=0)
    raise unreadable


def timeline_duration(cues) -> float | None:
    """Where the timeline's last cue ends, or None: the length to fall back on (never 0)."""
    ends = []
    for cue in cues or ():
        try:
            ends.append(float(cue[1]))
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    longest = max(ends, default=0.0)
    return longest if longest > 0 else None


@dataclass
class _Opened:
    """What the first request gave: the final URL, and the first block or the whole file."""

    url: str
    content_type: str
    size: int | None
    first: bytes | None = None
    spool: BinaryIO | None = None

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


def _first_request(http: Http, url: str, budget: int) -> _Opened:
    try:
        response = http.open(url, headers={"Range": f"bytes=0-{BLOCK_SIZE - 1}"})
    except HTTPError as exc:
        span = content_range(exc.headers.get("Content-Range")) if exc.code == 416 else None
        if span is not None and span[2] == 0:
            exc.close()
            return _Opened(url=url, content_type="", size=0)
        raise
    with response:
        content_type = media_type(response)
        if content_type.startswith("text/") or content_type in NOT_AUDIO_TYPES:
            raise RemoteAudioError(
                "音声ではない応答",
                message=f"音声ではなく {content_type} が返りました。URL が音声ファイルを指しているか確認してください。",
            )
        final_url = response.url or url
        if response.status == 206:
            span = content_range(response.headers.get("Content-Range"))
            if span is None or span[0] != 0 or span[1] >= BLOCK_SIZE:
                raise RemoteAudioError("範囲指定の応答が不正", message="サーバーが頼んだ範囲と違う部分を返しました。")
            first = http.read(response)
            if len(first) != span[1] + 1:
                raise RemoteAudioError("応答が途中で切れた", temporary=True)
            return _Opened(url=final_url, content_type=content_type, size=span[2], first=first)
        # The server ignores Range and sends the whole file: keep it, within the cap.
        length = int_header(response, "Content-Length")
        if length is not None and length > budget:
            return _Opened(url=final_url, content_type=content_type, size=length)
        spool = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - the caller closes it
        try:
            received = 0
            while chunk := http.read(response, BLOCK_SIZE):
                received += len(chunk)
                if received > budget:
                    raise RemoteAudioError(
                        "大きすぎて読めない",
                        message=f"サーバーが範囲指定の取得に対応しておらず、ファイルが取得の上限（{budget:,} バイト）を超えています。",
                    )
                spool.write(chunk)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return _Opened(url=final_url, content_type=content_type, size=received, spool=spool)


def _head_size(http: Http, url: str) -> int | None:
    try:
        response = http.open(url, method="HEAD")
    except HTTPError as exc:
        if exc.code in (405, 501):  # no HEAD here: the size stays unknown
            exc.close()
            return None
        raise
    with response:
        return int_header(response, "Content-Length")


def _checked_url(url: str) -> str:
    """The URL percent-encoded (IRI to URI), refused unless it is an absolute http(s) URL."""
    uri = iri_to_uri((url or "").strip())
    try:
        parts = urlsplit(uri)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise RemoteAudioError(
            "URL の形が不正", message="外部の音声URLは http:// か https:// で始まる完全な URL にしてください。"
        )
    require_public_host(uri)
    return uri


def _max_download() -> int:
    return settings.PROBE_AUDIO_MAX_DOWNLOAD
