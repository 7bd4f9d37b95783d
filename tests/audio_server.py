"""A real HTTP server for external-audio tests: real MP3 bytes, with or without Range support.

`AudioServer(ranges=True)` answers HEAD and single byte ranges (206 with
`Content-Range`, 416 past the end) as cloud storage does. `ranges=False` is
the plain server: it ignores `Range`, always sends the whole file with 200,
and refuses HEAD with 405. Every request is logged with the body bytes sent.
"""

import re
import threading
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from urllib.parse import quote, unquote, urlsplit

from mutagen.id3 import BitPaddedInt
from mutagen.mp3 import MPEGFrame

from .factories import M4A, MP3

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
JAPANESE_PATH = "/音声/ずんだ もん.mp3"
NOT_AUDIO = b"\x00\x01garbage" * 2000


@cache
def long_mp3(repeats: int = 250) -> bytes:
    """A CBR MP3 about 8½ minutes long (2 MB): tone.mp3's audio frames repeated.

    The ID3 tag is kept and the LAME "Info" frame dropped, so mutagen must
    estimate the length from the file size, as with many real episodes; MPEG
    frames concatenate into a valid stream.
    """
    data = MP3.read_bytes()
    tag_end = 10 + BitPaddedInt(data[6:10])
    stream = BytesIO(data)
    stream.seek(tag_end)
    info_frame = MPEGFrame(stream)  # parsing leaves the stream at the first audio frame
    assert not info_frame.sketchy, "tone.mp3 should open with a LAME Info frame"
    return data[:tag_end] + data[stream.tell() :] * repeats


def sample_files() -> dict[str, tuple[bytes, str]]:
    """What the test servers hold: real audio, and the things cloud storage returns by mistake."""
    return {
        "/tone.mp3": (MP3.read_bytes(), "audio/mpeg"),
        "/tone.m4a": (M4A.read_bytes(), "audio/mp4"),
        "/long.mp3": (long_mp3(), "audio/mpeg"),
        JAPANESE_PATH: (MP3.read_bytes(), "audio/mpeg"),
        "/page.mp3": (b"<!doctype html><title>login</title>", "text/html; charset=utf-8"),
        "/noise.mp3": (NOT_AUDIO, "audio/mpeg"),
        "/noise.bin": (NOT_AUDIO, "application/octet-stream"),
        "/empty.mp3": (b"", "audio/mpeg"),
    }


@dataclass
class Hit:
    method: str
    path: str
    range: str | None
    user_agent: str | None
    status: int
    sent: int


@dataclass
class AudioServer:
    """Serves `files` (path -> (bytes, content type)) on 127.0.0.1, in a thread."""

    files: dict[str, tuple[bytes, str]]
    ranges: bool = True
    redirects: dict[str, str] = field(default_factory=dict)  # path -> where a 302 sends it
    failures: dict[str, int] = field(default_factory=dict)  # path -> how many 503s come first
    hang: set[str] = field(default_factory=set)  # paths that never answer
    unknown_total: set[str] = field(default_factory=set)  # ranges answered with `/*` as the size
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self):
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.audio = self
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def __enter__(self) -> "AudioServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def url(self, path: str) -> str:
        return self.origin + quote(path)

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def sent(self, path: str | None = None) -> int:
        """Body bytes sent, for one path or all."""
        return sum(hit.sent for hit in self.hits if path is None or hit.path == path)


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestStorage/1.0"

    def log_message(self, format, *args):  # quiet: the hits are the log
        pass

    def do_HEAD(self):
        self._answer(head=True)

    def do_GET(self):
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        audio: AudioServer = self.server.audio
        path = unquote(urlsplit(self.path).path)
        asked = self.headers.get("Range")

        def send(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            # Logged before answering, so a test that got the answer sees the hit.
            hit = Hit(self.command, path, asked, self.headers.get("User-Agent"), status, 0 if head else len(body))
            audio.record(hit)
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if not head and body:
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    hit.sent = 0  # the client stopped reading, as a prober may

        if path in audio.hang:
            audio.record(Hit(self.command, path, asked, self.headers.get("User-Agent"), 0, 0))
            audio.release.wait(10)
            return
        if path in audio.redirects:
            return send(302, headers={"Location": audio.redirects[path], "Content-Length": "0"})
        if audio.failures.get(path):
            audio.failures[path] -= 1
            return send(503, b"busy", {"Content-Type": "text/plain", "Content-Length": "4", "Retry-After": "0"})
        if head and not audio.ranges:
            return send(405, headers={"Allow": "GET", "Content-Length": "0"})
        if path not in audio.files:
            page = "<!doctype html><title>404</title><p>見つかりません".encode()
            return send(404, page, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(page))})
        data, content_type = audio.files[path]
        headers = {"Content-Type": content_type}
        match = RANGE.match(asked or "") if audio.ranges else None
        if match and match.group(1) + match.group(2):
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
            else:
                start, end = max(len(data) - int(last), 0), len(data) - 1
            if start >= len(data):
                return send(416, headers={"Content-Range": f"bytes */{len(data)}", "Content-Length": "0"})
            total = "*" if path in audio.unknown_total else str(len(data))
            body = data[start : end + 1]
            headers |= {"Content-Range": f"bytes {start}-{end}/{total}", "Content-Length": str(len(body))}
            return send(206, body, headers)
        if audio.ranges:
            headers["Accept-Ranges"] = "bytes"
        return send(200, data, headers | {"Content-Length": str(len(data))})
