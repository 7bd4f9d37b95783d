"""Uploaded media is served over real HTTP, whole or by byte range (episodes/site/media.py)."""

import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils.http import http_date

from episodes.site.media import CHUNK_SIZE, Unsatisfiable, parse_range
from tests.factories import MP3, make_episode
from tests.live_servers import LiveServer, live_server

# The server thread reads episodes (whose audio it may serve) through its own connection.
pytestmark = pytest.mark.django_db(transaction=True)

JAPANESE_NAME = "audio/abc/私立ずんだもん_podcast.mp3"
# A valid CSRF cookie/header pair, so unsafe methods reach the view itself.
CSRF_SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


class Server(LiveServer):
    """A client for one running server, one connection per request, or a request sent by hand."""

    def raw(self, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[bytes, bytes]:
        """Send a request by hand and return (head, everything after it) as sent.

        `http.client` never reads a body after HEAD, so it could not notice one.
        """
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
        lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        return head, rest


def raw_header(head: bytes, name: str) -> str | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def raw_status(head: bytes) -> int:
    return int(head.split(b" ", 2)[1])


@pytest.fixture(params=["wsgi", "asgi"])
def server(request, settings):
    """A real HTTP server running the project's own application, under WSGI and under ASGI.

    (tests/live_servers.py says why not pytest-django's `live_server`.)
    """
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with live_server(request.param) as live:
        yield Server(live.host, live.port)


@dataclass
class Stored:
    name: str
    url: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def store(name: str, fileobj) -> Stored:
    """A stored file; audio belongs to a published episode (only such audio is served to anyone)."""
    stored = default_storage.save(name, fileobj)
    if stored.startswith("audio/"):
        make_episode(audio=False, audio_file=stored)
    with default_storage.open(stored, "rb") as fh:
        data = fh.read()
    return Stored(stored, default_storage.url(stored), data)


@pytest.fixture
def mp3() -> Stored:
    with MP3.open("rb") as fh:
        return store("audio/abc/tone.mp3", File(fh))


@pytest.fixture
def japanese() -> Stored:
    with MP3.open("rb") as fh:
        return store(JAPANESE_NAME, File(fh))


@pytest.fixture
def large() -> Stored:
    """Several chunks long, with no period that lines up with CHUNK_SIZE."""
    return store("audio/big/long.mp3", ContentFile(bytes(i % 251 for i in range(3 * CHUNK_SIZE + 1234))))


@pytest.fixture
def etag(server, mp3) -> str:
    return server.request("HEAD", mp3.url).headers["ETag"]


class TestStoredFiles:
    def test_fixtures_store_the_real_files_in_the_temporary_media_root(self, settings, mp3, japanese):
        assert mp3.data == MP3.read_bytes()
        assert japanese.name == JAPANESE_NAME
        assert (settings.MEDIA_ROOT / JAPANESE_NAME).read_bytes() == MP3.read_bytes()

    def test_japanese_name_is_requested_percent_encoded(self, japanese):
        assert japanese.url == "/media/" + quote(JAPANESE_NAME)
        assert japanese.url.isascii()


class TestWholeFile:
    def test_get_sends_every_byte(self, server, mp3):
        reply = server.request("GET", mp3.url)

        assert reply.status == 200
        assert reply.body == mp3.data
        assert reply.headers["Accept-Ranges"] == "bytes"
        assert reply.headers["Content-Length"] == str(mp3.size)
        assert reply.headers["Content-Type"] == "audio/mpeg"
        assert "Content-Range" not in reply.headers

    def test_japanese_file_name(self, server, japanese):
        reply = server.request("GET", japanese.url)

        assert reply.status == 200
        assert reply.body == MP3.read_bytes()
        assert reply.headers["Content-Type"] == "audio/mpeg"

    def test_validators_follow_the_stored_file(self, server, mp3):
        reply = server.request("GET", mp3.url)
        modified = default_storage.get_modified_time(mp3.name)

        assert reply.headers["Last-Modified"] == http_date(modified.timestamp())
        assert reply.headers["ETag"] == f'"{mp3.size:x}-{int(modified.timestamp()):x}"'

    def test_file_of_several_chunks_arrives_intact(self, server, large):
        reply = server.request("GET", large.url)

        assert reply.status == 200
        assert reply.headers["Content-Length"] == str(large.size)
        assert reply.body == large.data


RANGES = [
    # (Range header, first byte, last byte), as functions of the file size.
    pytest.param(lambda size: "bytes=0-1", lambda size: (0, 1), id="first-two-bytes"),
    pytest.param(lambda size: "bytes=100-", lambda size: (100, size - 1), id="open-ended"),
    pytest.param(lambda size: "bytes=-10", lambda size: (size - 10, size - 1), id="suffix"),
    pytest.param(lambda size: f"bytes={size - 1}-{size - 1}", lambda size: (size - 1, size - 1), id="last-byte"),
    pytest.param(lambda size: f"bytes=100-{size + 1000}", lambda size: (100, size - 1), id="end-past-size-clipped"),
    pytest.param(lambda size: f"bytes=-{size + 50}", lambda size: (0, size - 1), id="suffix-longer-than-file"),
    pytest.param(lambda size: f"bytes=0-{size - 1}", lambda size: (0, size - 1), id="whole-file-as-range"),
]


class TestRanges:
    @pytest.mark.parametrize(("header", "span"), RANGES)
    def test_satisfiable_range(self, server, mp3, header, span):
        first, last = span(mp3.size)

        reply = server.request("GET", mp3.url, {"Range": header(mp3.size)})

        assert reply.status == 206
        assert reply.headers["Content-Range"] == f"bytes {first}-{last}/{mp3.size}"
        assert reply.headers["Content-Length"] == str(last - first + 1)
        assert reply.headers["Accept-Ranges"] == "bytes"
        assert reply.headers["Content-Type"] == "audio/mpeg"
        assert reply.body == mp3.data[first : last + 1]

    def test_first_two_bytes_are_the_files_first_two_bytes(self, server, mp3):
        reply = server.request("GET", mp3.url, {"Range": "bytes=0-1"})

        assert reply.status == 206
        assert reply.headers["Content-Range"] == f"bytes 0-1/{len(MP3.read_bytes())}"
        assert reply.body == MP3.read_bytes()[:2]

    def test_range_of_japanese_named_file(self, server, japanese):
        reply = server.request("GET", japanese.url, {"Range": "bytes=10-19"})

        assert reply.status == 206
        assert reply.headers["Content-Range"] == f"bytes 10-19/{japanese.size}"
        assert reply.body == japanese.data[10:20]

    def test_range_across_chunk_boundaries(self, server, large):
        first, last = CHUNK_SIZE - 7, 2 * CHUNK_SIZE + 7

        reply = server.request("GET", large.url, {"Range": f"bytes={first}-{last}"})

        assert reply.status == 206
        assert reply.headers["Content-Length"] == str(last - first + 1)
        assert reply.body == large.data[first : last + 1]

    @pytest.mark.parametrize(
        "header",
        [
            pytest.param(lambda size: f"bytes={size}-", id="start-at-size"),
            pytest.param(lambda size: f"bytes={size + 10}-{size + 20}", id="start-past-size"),
            pytest.param(lambda size: "bytes=-0", id="empty-suffix"),
        ],
    )
    def test_unsatisfiable_range(self, server, mp3, header):
        reply = server.request("GET", mp3.url, {"Range": header(mp3.size)})

        assert reply.status == 416
        assert reply.headers["Content-Range"] == f"bytes */{mp3.size}"
        assert mp3.data[:16] not in reply.body

    @pytest.mark.parametrize(
        "header",
        ["bytes=abc", "bytes=0-1,5-6", "bytes=5-2", "bytes=-", "items=0-1", "bytes 0-1", "0-1"],
    )
    def test_malformed_or_multiple_ranges_get_the_whole_file(self, server, mp3, header):
        reply = server.request("GET", mp3.url, {"Range": header})

        assert reply.status == 200
        assert "Content-Range" not in reply.headers
        assert reply.headers["Content-Length"] == str(mp3.size)
        assert reply.body == mp3.data

    def test_suffix_range_of_empty_file_is_well_formed(self, server):
        empty = store("audio/empty/silence.mp3", ContentFile(b""))

        reply = server.request("GET", empty.url, {"Range": "bytes=-5"})

        # RFC 9110 §14.1.1: answer the whole (empty) file with 200, or refuse
        # with 416; a 206 needs a first-last span, which zero bytes lack.
        assert reply.status in {200, 416}
        content_range = reply.headers.get("Content-Range")
        assert content_range is None or content_range == "bytes */0"
        assert reply.body == b""


class TestHead:
    def test_head_has_the_get_headers_and_no_body(self, server, mp3):
        got = server.request("GET", mp3.url)

        head, body = server.raw("HEAD", mp3.url)

        assert raw_status(head) == 200
        assert body == b""
        assert raw_header(head, "Content-Length") == str(mp3.size)
        for name in ("Accept-Ranges", "Content-Type", "ETag", "Last-Modified", "Cache-Control"):
            assert raw_header(head, name) == got.headers[name], name
        assert raw_header(head, "Content-Range") is None

    def test_ranged_head_describes_the_range(self, server, mp3):
        head, body = server.raw("HEAD", mp3.url, {"Range": "bytes=0-1"})

        assert raw_status(head) == 206
        assert body == b""
        assert raw_header(head, "Content-Length") == "2"
        assert raw_header(head, "Content-Range") == f"bytes 0-1/{mp3.size}"
        assert raw_header(head, "Content-Type") == "audio/mpeg"

    def test_head_with_http_client(self, server, japanese):
        reply = server.request("HEAD", japanese.url)

        assert reply.status == 200
        assert reply.body == b""
        assert reply.headers["Content-Length"] == str(japanese.size)
        assert reply.headers["Accept-Ranges"] == "bytes"


class TestConditionalRequests:
    def test_if_none_match_with_the_etag_is_not_modified(self, server, mp3, etag):
        head, body = server.raw("GET", mp3.url, {"If-None-Match": etag})

        assert raw_status(head) == 304
        assert body == b""
        assert raw_header(head, "ETag") == etag

    def test_if_none_match_list_containing_the_etag(self, server, mp3, etag):
        reply = server.request("GET", mp3.url, {"If-None-Match": f'"other", W/{etag}'})

        assert reply.status == 304
        assert reply.body == b""

    def test_if_none_match_with_another_etag_gets_the_file(self, server, mp3, etag):
        reply = server.request("GET", mp3.url, {"If-None-Match": '"0-0"'})

        assert reply.status == 200
        assert reply.body == mp3.data

    def test_if_modified_since_last_modified_is_not_modified(self, server, mp3):
        last_modified = server.request("HEAD", mp3.url).headers["Last-Modified"]

        reply = server.request("GET", mp3.url, {"If-Modified-Since": last_modified})

        assert reply.status == 304
        assert reply.body == b""

    def test_if_modified_since_an_earlier_date_gets_the_file(self, server, mp3):
        reply = server.request("GET", mp3.url, {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})

        assert reply.status == 200
        assert reply.body == mp3.data

    def test_if_none_match_star_is_not_modified(self, server, mp3):
        # RFC 9110 §13.1.2: "*" is false whenever a current representation exists.
        reply = server.request("GET", mp3.url, {"If-None-Match": "*"})

        assert reply.status == 304

    @pytest.mark.parametrize("if_range", ['"0-0"', "Sat, 01 Jan 2000 00:00:00 GMT"])
    def test_if_range_with_stale_validator_gets_the_whole_file(self, server, mp3, if_range):
        reply = server.request("GET", mp3.url, {"Range": "bytes=0-1", "If-Range": if_range})

        assert reply.status == 200
        assert "Content-Range" not in reply.headers
        assert reply.body == mp3.data

    def test_if_range_with_weak_etag_gets_the_whole_file(self, server, mp3, etag):
        # If-Range needs a strong match.
        reply = server.request("GET", mp3.url, {"Range": "bytes=0-1", "If-Range": f"W/{etag}"})

        assert reply.status == 200
        assert reply.body == mp3.data

    def test_if_range_with_current_etag_gets_the_range(self, server, mp3, etag):
        reply = server.request("GET", mp3.url, {"Range": "bytes=0-1", "If-Range": etag})

        assert reply.status == 206
        assert reply.body == mp3.data[:2]

    def test_if_range_with_current_date_gets_the_range(self, server, mp3):
        last_modified = server.request("HEAD", mp3.url).headers["Last-Modified"]

        reply = server.request("GET", mp3.url, {"Range": "bytes=2-3", "If-Range": last_modified})

        assert reply.status == 206
        assert reply.body == mp3.data[2:4]


class TestRefusals:
    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    def test_only_get_and_head_are_allowed(self, server, mp3, method):
        headers = {"Cookie": f"csrftoken={CSRF_SECRET}", "X-CSRFToken": CSRF_SECRET, "Content-Length": "0"}

        reply = server.request(method, mp3.url, headers)

        assert reply.status == 405
        assert reply.headers["Allow"] == "GET, HEAD"
        assert mp3.data[:16] not in reply.body

    def test_post_without_csrf_token_is_refused(self, server, mp3):
        reply = server.request("POST", mp3.url, {"Content-Length": "0"})

        assert reply.status == 403
        assert mp3.data[:16] not in reply.body

    def test_missing_file(self, server, mp3):
        reply = server.request("GET", "/media/audio/abc/missing.mp3")

        assert reply.status == 404

    def test_missing_file_with_a_range(self, server, mp3):
        reply = server.request("GET", "/media/audio/abc/missing.mp3", {"Range": "bytes=0-1"})

        assert reply.status == 404

    @pytest.mark.parametrize("path", ["/media/audio/", "/media/audio", "/media/audio/abc/"])
    def test_directory_is_not_found(self, server, mp3, path):
        reply = server.request("GET", path)

        assert reply.status == 404

    @pytest.mark.parametrize(
        "path",
        [
            "/media/../secret.txt",
            "/media/%2e%2e/secret.txt",
            "/media/%2E%2E%2Fsecret.txt",
            "/media/..%2fsecret.txt",
            "/media/audio/%2e%2e/%2e%2e/secret.txt",
            "/media/audio/abc/%2e%2e/%2e%2e/%2e%2e/secret.txt",
            "/media/..%5csecret.txt",
            "/media/secret.txt%00.mp3",
        ],
    )
    def test_path_traversal_is_not_found(self, server, settings, tmp_path, mp3, path):
        secret = tmp_path / "secret.txt"
        secret.write_bytes(b"TOP-SECRET-VALUE")
        assert secret.parent == settings.MEDIA_ROOT.parent

        reply = server.request("GET", path)

        assert reply.status == 404
        assert b"TOP-SECRET-VALUE" not in reply.body

    def test_absolute_path_is_not_found(self, server, tmp_path, mp3):
        secret = tmp_path / "secret.txt"
        secret.write_bytes(b"TOP-SECRET-VALUE")

        reply = server.request("GET", "/media/" + quote(str(secret)))

        assert reply.status == 404
        assert b"TOP-SECRET-VALUE" not in reply.body


class TestStreaming:
    def test_get_streams_in_chunks(self, large):
        response = Client().get(large.url)

        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        # Reading to the end makes the test client close the response (and
        # the file) the way a WSGI server would.
        chunks = list(response.streaming_content)

        assert all(len(chunk) <= CHUNK_SIZE for chunk in chunks)
        assert len(chunks) == -(-large.size // CHUNK_SIZE)
        assert b"".join(chunks) == large.data

    def test_ranged_get_streams_only_the_range(self, mp3):
        response = Client().get(mp3.url, headers={"Range": "bytes=100-"})

        assert response.status_code == 206
        assert isinstance(response, StreamingHttpResponse)
        body = b"".join(response.streaming_content)

        assert body == mp3.data[100:]

    def test_head_does_not_open_the_file(self, mp3):
        response = Client().head(mp3.url)

        assert response.status_code == 200
        assert not response.streaming
        assert response["Content-Length"] == str(mp3.size)


class TestParseRange:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("bytes=0-1", (0, 1)),
            ("bytes=5-", (5, 9)),
            ("bytes=-3", (7, 9)),
            ("bytes=-30", (0, 9)),
            ("bytes=2-200", (2, 9)),
            (" bytes=0-0 ", (0, 0)),
            ("bytes=-", None),
            ("bytes=3-2", None),
            ("bytes=0-1,4-5", None),
            ("bytes=x-1", None),
            ("", None),
        ],
    )
    def test_parse(self, header, expected):
        assert parse_range(header, 10) == expected

    @pytest.mark.parametrize("header", ["bytes=10-", "bytes=11-20", "bytes=-0"])
    def test_unsatisfiable(self, header):
        with pytest.raises(Unsatisfiable):
            parse_range(header, 10)


def test_content_range_header_shape(server, mp3):
    """Every 206 carries a well-formed `bytes first-last/size`."""
    for header in ("bytes=0-0", "bytes=-1", f"bytes={mp3.size - 2}-"):
        reply = server.request("GET", mp3.url, {"Range": header})
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", reply.headers["Content-Range"])
        assert match, reply.headers["Content-Range"]
        first, last, size = map(int, match.groups())
        assert first <= last < size == mp3.size
        assert reply.body == mp3.data[first : last + 1]


def test_trailing_slash_is_not_a_second_url_for_a_file(server, mp3):
    assert server.request("GET", mp3.url + "/").status == 404


def test_files_that_are_not_audio_or_images_are_never_rendered_inline(server):
    for name in ("stray/page.html", "stray/drawing.svg"):
        stored = store(name, ContentFile(b"<html><script>alert(1)</script></html>"))
        reply = server.request("GET", stored.url)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/octet-stream"
        assert reply.headers["Content-Disposition"] == "attachment"


def test_stalled_downloads_hold_no_thread_under_asgi(settings):
    """Listeners that stop reading keep their sockets; the one thread for views stays free."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    big = store("audio/big/twelve.mp3", ContentFile(bytes(12 * 1024 * 1024)))
    stalled = []
    with live_server("asgi") as live:
        server = Server(live.host, live.port)
        try:
            for _ in range(4):
                stalled.append(server.stalled_get(quote(big.url)))
            start = time.monotonic()
            assert server.request("GET", big.url, {"Range": "bytes=0-9"}).body == bytes(10)
            assert time.monotonic() - start < 2
        finally:
            for sock in stalled:
                sock.close()


class TestAccelRedirect:
    """Behind nginx the app only decides; nginx sends the bytes (sendfile, Range, HEAD)."""

    def test_audio_is_handed_to_nginx(self, client, settings, japanese):
        settings.MEDIA_ACCEL_REDIRECT = "/_media/"
        response = client.get(japanese.url, HTTP_RANGE="bytes=0-1")
        assert response.status_code == 200 and response.content == b""
        assert response["X-Accel-Redirect"] == "/_media/" + quote(japanese.name)
        assert response["Content-Type"] == "audio/mpeg"
        assert "Content-Disposition" not in response

    def test_other_files_stay_attachments_and_missing_ones_404(self, client, settings):
        settings.MEDIA_ACCEL_REDIRECT = "/_media/"
        stored = store("uploads/page.html", ContentFile(b"<script>alert(1)</script>"))
        response = client.get(stored.url)
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"] == "attachment"
        assert client.get("/media/audio/none.mp3").status_code == 404


class TestFilesFollowTheirEpisode:
    """Issue 24, finding 12: pending uploads and draft images were served to anyone with the URL."""

    @pytest.fixture
    def staff(self, django_user_model):
        from django.contrib.auth.models import Permission

        def make(name):
            user = django_user_model.objects.create_user(name, password="a-long-password-1", is_staff=True)
            for codename in ("view_episode", "add_episode", "change_episode"):
                user.user_permissions.add(Permission.objects.get(codename=codename))
            client = Client()
            client.force_login(user)
            return user, client

        return make

    def test_a_pending_upload_is_served_to_its_uploader_only(self, staff):
        from episodes.media.pending_uploads import load_pending_upload

        uploader, uploader_client = staff("uploader")
        _, colleague = staff("colleague")
        answer = uploader_client.post(
            "/admin/catalogue/episode/pending-upload/",
            {"file": File(MP3.open("rb"), name="daily.mp3"), "kind": "audio"},
        ).json()
        path = load_pending_upload(answer["reference"], kind="audio").path
        assert path.startswith(f"pending/user-{uploader.pk}/")
        url = f"/media/{quote(path)}"
        response = uploader_client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == MP3.read_bytes()
        assert response["Cache-Control"] == "private, no-cache"
        assert colleague.get(url).status_code == 404
        assert Client().get(url).status_code == 404

    def test_a_pending_file_from_before_owners_is_served_to_nobody(self, admin_client):
        default_storage.save("pending/abc123/old.mp3", ContentFile(b"x" * 100))
        assert admin_client.get("/media/pending/abc123/old.mp3").status_code == 404

    def test_a_drafts_image_and_thumbnail_are_not_public(self, staff):
        from episodes.catalogue.models import Episode
        from tests.factories import image_upload

        episode = make_episode(status=Episode.Status.DRAFT, image=image_upload("cover.png"))
        assert episode.image.name.startswith("images/episode/") and episode.thumbnail
        _, editor = staff("editor")
        for name in (episode.image.name, episode.thumbnail.name):
            url = f"/media/{quote(name)}"
            assert Client().get(url).status_code == 404, name
            response = editor.get(url)
            assert response.status_code == 200, name
            assert response["Cache-Control"] == "private, no-cache"  # never kept by a shared cache
        Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.PUBLISHED)
        response = Client().get(f"/media/{quote(episode.image.name)}")
        assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=86400"

    def test_show_artwork_stays_public(self):
        from tests.factories import image_upload, make_show

        show = make_show(artwork=image_upload("art.png"))
        assert Client().get(f"/media/{quote(show.artwork.name)}").status_code == 200
