"""HTTP for reading files that live elsewhere: politely, and only the bytes needed.

`Http` sends GETs and HEADs with a timeout, follows redirects, refuses every
scheme but http(s), and retries temporary failures with exponential back-off.
`HttpRangeFile` is a seekable, read-only file over `Range` requests, for
parsers (mutagen) that read a header here and a tail there.

Only the standard library (urllib) speaks HTTP: a probe is a handful of plain
GETs, not worth an HTTP client dependency.
"""

import io
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from typing import TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import (
    HTTPDefaultErrorHandler,
    HTTPErrorProcessor,
    HTTPHandler,
    HTTPRedirectHandler,
    HTTPSHandler,
    OpenerDirector,
    Request,
    UnknownHandler,
)

from django.conf import settings

from episodes.media.audio import AudioError

USER_AGENT = "zundapod-probe/1.0"
BLOCK_SIZE = 64 * 1024
MAX_RETRY_AFTER = 30.0
HTTP_LABELS = {401: "認証が必要", 403: "アクセス拒否", 404: "見つからない", 410: "削除済み"}
CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)

T = TypeVar("T")


@dataclass
class ProbeStats:
    """What one probe cost and how it ended: requests sent, body bytes received."""

    requests: int = 0
    bytes_received: int = 0
    duration_from_fallback: bool = False


class RemoteAudioError(AudioError):
    """External audio that could not be read.

    `str()` is a sentence for editors; `reason` a short label to group failures
    by; `temporary` says whether trying again later may help (timeouts, 5xx).
    """

    def __init__(self, reason: str, *, temporary: bool = False, message: str = ""):
        self.reason = reason
        self.temporary = temporary
        super().__init__(message or f"外部の音声URLを読み取れませんでした（{reason}）。")


# IPv6 forms that carry an IPv4 address (IPv4-compatible, IPv4-mapped, NAT64): a host that
# answers with one means an IPv4 address in disguise, and `is_global` judges them by the IPv6 range.
EMBEDDED_IPV4_NETWORKS = [
    ipaddress.ip_network(network) for network in ("::/96", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
]


def is_external(url: str) -> bool:
    """True for an absolute http(s) URL (a file that lives elsewhere); False for a site path."""
    return url.startswith(("http://", "https://"))


def is_public_address(address: str) -> bool:
    """Whether an address (as getaddrinfo gives it) is on the public Internet, in every spelling."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if any(ip in network for network in EMBEDDED_IPV4_NETWORKS):
            return False
        if ip.sixtofour is not None and not ip.sixtofour.is_global:
            return False
    return ip.is_global


def public_addresses(host: str, port: int | None) -> list[tuple]:
    """getaddrinfo's answers for the host, refused unless every one of them is public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RemoteAudioError(
            "ホスト名を引けない", message=f"外部の音声URLのホスト {host} が見つかりません。"
        ) from exc
    if not infos or not all(is_public_address(info[4][0]) for info in infos):
        raise RemoteAudioError(
            "内部のアドレス", message="外部の音声URLが内部のネットワークを指しています。公開された URL にしてください。"
        )
    return infos


def require_public_host(url: str) -> None:
    """Refuse URLs whose host resolves to a loopback, private, link-local or other non-public address.

    Staff and API tokens choose these URLs, and the probe reports what it found:
    without this it could read the cloud metadata service or map the internal
    network. PROBE_AUDIO_ALLOW_PRIVATE_HOSTS lifts it (tests on loopback, a LAN MinIO).
    This is the early answer, before any request; every connection checks again
    the addresses it actually connects to (`connect_public`), so a name that
    resolves differently the second time (DNS rebinding) gains nothing.
    """
    if settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS:
        return
    public_addresses(urlsplit(url).hostname or "", None)


def connect_public(address: tuple[str, int], timeout=None, source_address=None) -> socket.socket:
    """`socket.create_connection`, to exactly the addresses that were resolved once and checked."""
    if settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS:
        return socket.create_connection(address, timeout, source_address)
    host, port = address
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in public_addresses(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error


class _PublicHTTPConnection(HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # http.client's hook for how the socket is opened (connect() calls it, for HTTPS before the TLS handshake).
        self._create_connection = connect_public


class _PublicHTTPSConnection(HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = connect_public


class _PublicHTTPHandler(HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(HTTPSHandler):
    def https_open(self, req):
        # The certificate is still checked against the URL's host name (SNI too): only the socket is pinned.
        return self.do_open(_PublicHTTPSConnection, req)


class _RedirectHandler(HTTPRedirectHandler):
    """Follow redirects keeping HEAD a HEAD (urllib turns it into GET before Python 3.13)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        require_public_host(newurl)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.get_method() == "HEAD":
            new.method = "HEAD"
        return new


class Http:
    """One probe's HTTP: http(s) only, redirects followed, temporary failures retried."""

    def __init__(self, *, timeout: float, retries: int, backoff: float, stats: ProbeStats):
        self.timeout, self.retries, self.backoff, self.stats = timeout, max(0, retries), backoff, stats
        # No file:, ftp: or data: handlers: an editor's URL must not read the server's own files.
        # No proxy either: a proxy would resolve the host itself, past the address check.
        self.opener = OpenerDirector()
        for handler in (
            UnknownHandler(),
            _PublicHTTPHandler(),
            _PublicHTTPSHandler(),
            HTTPDefaultErrorHandler(),
            _RedirectHandler(),
            HTTPErrorProcessor(),
        ):
            self.opener.add_handler(handler)

    def open(self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> HTTPResponse:
        self.stats.requests += 1
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
        return self.opener.open(Request(url, method=method, headers=headers), timeout=self.timeout)

    def read(self, response: HTTPResponse, limit: int | None = None) -> bytes:
        data = response.read() if limit is None else response.read(limit)
        self.stats.bytes_received += len(data)
        return data

    def attempt(self, action: Callable[[], T]) -> T:
        """Run one request (and its reading), retrying temporary failures with exponential back-off."""
        attempt = 0
        while True:
            try:
                return action()
            except (OSError, HTTPException, ValueError) as exc:
                failure = describe_failure(exc, timeout=self.timeout)
                retry_after = retry_after_seconds(exc) if isinstance(exc, HTTPError) else 0.0
                if isinstance(exc, HTTPError):
                    exc.close()
                if not failure.temporary or attempt >= self.retries:
                    if failure is exc:
                        raise
                    raise failure from exc
            time.sleep(max(self.backoff * 2**attempt, min(retry_after, MAX_RETRY_AFTER)))
            attempt += 1


class HttpRangeFile(io.RawIOBase):
    """A read-only, seekable file over HTTP Range requests.

    Blocks are fetched when first read (neighbouring missing blocks in one
    request) and kept, so mutagen downloads only what it looks at. A network
    failure is kept in `error`: mutagen reports any read error as "not audio".
    """

    def __init__(self, http: Http, url: str, *, size: int, first: bytes = b"", budget: int):
        super().__init__()
        self.http, self.url, self.size, self.budget = http, url, size, budget
        self.error: RemoteAudioError | None = None
        self._pos = 0
        self._blocks: dict[int, bytes] = {}
        for index, start in enumerate(range(0, len(first), BLOCK_SIZE)):
            chunk = first[start : start + BLOCK_SIZE]
            if len(chunk) == BLOCK_SIZE or start + len(chunk) == size:
                self._blocks[index] = chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        if self.error is not None:
            raise self.error
        end = self.size if size is None or size < 0 else min(self._pos + size, self.size)
        if end <= self._pos:
            return b""
        try:
            self._load(self._pos, end)
        except RemoteAudioError as exc:
            self.error = exc
            raise
        first, last = self._pos // BLOCK_SIZE, (end - 1) // BLOCK_SIZE
        data = b"".join(self._blocks[i] for i in range(first, last + 1))
        data = data[self._pos - first * BLOCK_SIZE : end - first * BLOCK_SIZE]
        self._pos = end
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _load(self, start: int, end: int) -> None:
        missing = [i for i in range(start // BLOCK_SIZE, (end - 1) // BLOCK_SIZE + 1) if i not in self._blocks]
        while missing:
            run = 1
            while run < len(missing) and missing[run] == missing[0] + run:
                run += 1
            self._fetch(missing[0], missing[run - 1])
            missing = missing[run:]

    def _fetch(self, first: int, last: int) -> None:
        start, end = first * BLOCK_SIZE, min((last + 1) * BLOCK_SIZE, self.size)
        if self.http.stats.bytes_received + (end - start) > self.budget:
            raise RemoteAudioError("取得量の上限", message="長さを読み取るのに必要な量が取得の上限を超えました。")

        def fetch() -> bytes:
            with self.http.open(self.url, headers={"Range": f"bytes={start}-{end - 1}"}) as response:
                span = content_range(response.headers.get("Content-Range"))
                if response.status != 206 or span is None or span[:2] != (start, end - 1):
                    raise RemoteAudioError(
                        "範囲指定の応答が不正", message="サーバーが頼んだ範囲と違う部分を返しました。"
                    )
                body = self.http.read(response)
            if len(body) != end - start:
                raise RemoteAudioError("応答が途中で切れた", temporary=True)
            return body

        body = self.http.attempt(fetch)
        for index in range(first, last + 1):
            offset = (index - first) * BLOCK_SIZE
            self._blocks[index] = body[offset : offset + BLOCK_SIZE]


# --- parsers and rules ----------------------------------------------------------------


def content_range(value: str | None) -> tuple[int | None, int | None, int | None] | None:
    """(first, last, total) from `bytes 0-99/1234`; None in place of a `*`; None if malformed."""
    match = CONTENT_RANGE.match(value or "")
    if not match:
        return None
    first, last, total = match.groups()
    return (
        int(first) if first is not None else None,
        int(last) if last is not None else None,
        int(total) if total != "*" else None,
    )


def media_type(response: HTTPResponse) -> str:
    return (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


def int_header(response: HTTPResponse, name: str) -> int | None:
    try:
        value = int(response.headers.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def retry_after_seconds(exc: HTTPError) -> float:
    try:
        return max(0.0, float((exc.headers or {}).get("Retry-After", "")))
    except (TypeError, ValueError):
        return 0.0  # absent, or an HTTP date: the usual back-off will do


def describe_failure(exc: BaseException, *, timeout: float) -> RemoteAudioError:
    """The error to report for what urllib raised, and whether it is worth a retry."""
    if isinstance(exc, RemoteAudioError):
        return exc
    if isinstance(exc, HTTPError):
        label = HTTP_LABELS.get(exc.code)
        reason = f"HTTP {exc.code}" + (f" {label}" if label else "")
        temporary = exc.code in (408, 425, 429) or exc.code >= 500
        return RemoteAudioError(reason, temporary=temporary, message=f"サーバーが HTTP {exc.code} を返しました。")
    cause = exc.reason if isinstance(exc, URLError) and isinstance(exc.reason, BaseException) else exc
    if isinstance(cause, TimeoutError):
        return RemoteAudioError(
            "タイムアウト", temporary=True, message=f"サーバーが {timeout:g} 秒以内に応答しませんでした。"
        )
    if isinstance(cause, ConnectionRefusedError):
        return RemoteAudioError("接続拒否", temporary=True, message="サーバーに接続を拒否されました。")
    if isinstance(cause, socket.gaierror):
        return RemoteAudioError("ホスト名が引けない", temporary=True, message="URL のホスト名を引けませんでした。")
    if isinstance(cause, ssl.SSLError):
        return RemoteAudioError("HTTPS の接続エラー", message=f"HTTPS の接続を確認できませんでした（{cause}）。")
    if isinstance(exc, URLError):
        return RemoteAudioError("URL エラー", message=f"URL を開けませんでした（{exc.reason}）。")
    if isinstance(exc, ValueError):
        return RemoteAudioError("URL の形が不正", message=f"URL を開けませんでした（{exc}）。")
    return RemoteAudioError(
        "通信エラー", temporary=True, message=f"通信に失敗しました（{type(cause).__name__}: {cause}）。"
    )
