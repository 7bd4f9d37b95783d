"""Media on S3-compatible storage, against moto's real HTTP S3 API on loopback.

The storage is configured exactly as production is: `zundapod/settings.py` is
executed with the `AWS_*`/`ZUNDAPOD_*` variables pointing at the moto server,
and its `STORAGES["default"]` and `MEDIA_ON_S3` replace the test settings
(Django resets `default_storage` when `STORAGES` changes). The root URLconf is
re-imported under `MEDIA_ON_S3`, as a server started with those variables
would import it. Every test gets its own empty bucket.
"""

import html
import importlib.util
import io
import re
import runpy
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, quote, urlsplit

import botocore.httpsession
import feedparser
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import resolve
from PIL import Image
from storages.backends.s3 import S3Storage

from episodes.catalogue.models import Episode, LegacyPath, Show
from episodes.media.remote_audio import probe_remote_audio
from episodes.media.remote_http import ProbeStats
from tests.audio_server import long_mp3
from tests.factories import MP3, episode_form, image_bytes, make_episode, make_show, mp3_upload
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from tests.samples import needs_samples, sample_site
from tests.worker import run_queued

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "zundapod" / "settings.py"
URLCONF_FILE = ROOT / "zundapod" / "urls.py"
# Everything settings.py reads for media; cleared so the machine running the tests cannot leak in.
MEDIA_VARIABLES = [
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_CUSTOM_DOMAIN",
    "AWS_QUERYSTRING_AUTH",
    "AWS_DEFAULT_ACL",
    "ZUNDAPOD_MEDIA_PREFIX",
]
EPISODE_AUDIO = "私立ずんだもん女学園放送部_podcast_20260821.mp3"
CDN = "media.zundapod.example.jp"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


# --- the server, the bucket and the settings -------------------------------------------


@pytest.fixture(scope="module")
def s3_server():
    server, problem = S3Server.start()
    if server is None:
        pytest.skip(f"moto's S3 server cannot run here: {problem}")
    yield server
    server.stop()


@dataclass
class Media:
    """The test's bucket, and a way to configure Django's media from environment variables."""

    server: S3Server
    bucket: str
    _settings: object
    _monkeypatch: pytest.MonkeyPatch
    _tmp_path: Path

    def configure(self, **env: str) -> S3Storage:
        """Run settings.py with these variables (and the bucket's), and switch the test's settings to its media."""
        production = settings_from_environment(
            self._monkeypatch,
            self._tmp_path,
            AWS_STORAGE_BUCKET_NAME=self.bucket,
            AWS_S3_ENDPOINT_URL=self.server.endpoint,
            AWS_S3_REGION_NAME=REGION,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            **env,
        )
        self._settings.STORAGES = {**self._settings.STORAGES, "default": production["STORAGES"]["default"]}
        self._settings.MEDIA_ON_S3 = production["MEDIA_ON_S3"]
        self._settings.ROOT_URLCONF = fresh_urlconf()
        storage = storages["default"]
        assert isinstance(storage, S3Storage), storage
        return storage

    # What is really in the bucket, read with boto3 rather than through Django.

    def object_keys(self) -> list[str]:
        listing = self.server.client().list_objects_v2(Bucket=self.bucket)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def head(self, key: str) -> dict:
        return self.server.client().head_object(Bucket=self.bucket, Key=key)

    def body(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def set_public_read(self, public: bool) -> None:
        self.server.set_public_read(self.bucket, public)

    def url(self, key: str) -> str:
        """The object's path-style URL on the endpoint, percent-encoded."""
        return f"{self.server.endpoint}/{self.bucket}/{quote(key)}"


def settings_from_environment(monkeypatch, tmp_path, **env: str) -> dict:
    """The module globals settings.py produces under these variables (the process environment is restored)."""
    with monkeypatch.context() as patch:
        for name in MEDIA_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("ZUNDAPOD_ENV_FILE", str(tmp_path / "no.env"))
        for name, value in env.items():
            patch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))


def fresh_urlconf():
    """zundapod/urls.py imported anew, so it reads the current MEDIA_ON_S3 as a new process would."""
    spec = importlib.util.spec_from_file_location("zundapod_urls_under_test", URLCONF_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def media(s3_server, settings, monkeypatch, tmp_path) -> Media:
    """Media in a fresh bucket, configured for plain URLs (call `media.configure(...)` again for other variables).

    Plain URLs work only when anyone may read the objects: without
    AWS_DEFAULT_ACL django-storages uploads them private (as buckets with ACLs
    disabled require), so the bucket carries a public-read policy, as such a
    deployment must.
    """
    cache.clear()
    bucket = Media(s3_server, s3_server.new_bucket(), settings, monkeypatch, tmp_path)
    bucket.set_public_read(True)
    bucket.configure()
    return bucket


@pytest.fixture(autouse=True)
def _nothing_on_local_disk(_isolated_media):
    yield
    assert not Path(_isolated_media).exists(), "media was written to MEDIA_ROOT instead of the bucket"


# --- helpers -------------------------------------------------------------------------------


def admin_episode_post(show, *, number: int = 100, **files) -> dict:
    """The episode add form's POST with no articles, carrying the given files."""
    return episode_form(show, number=number, youtube_url="", **{"articles-TOTAL_FORMS": "0"}, **files)


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    """A file as a browser sends it: the name, the bytes and the browser's idea of its type."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_bytes(width: int = 64, height: int = 64) -> bytes:
    return image_bytes(width, height, fmt="JPEG")


def page_audio_src(page: str) -> str:
    match = re.search(r'<audio[^>]*\ssrc="([^"]+)"', page)
    assert match, "the episode page has no <audio src>"
    return html.unescape(match.group(1))


def page_cover_src(page: str) -> str:
    match = re.search(r'<img class="cover" src="([^"]+)"', page)
    assert match, "the episode page has no cover image"
    return html.unescape(match.group(1))


def feed_item(body: bytes, number: int) -> ET.Element:
    for item in ET.fromstring(body).iter("item"):
        if item.findtext(f"{ITUNES}episode") == str(number):
            return item
    raise AssertionError(f"episode {number} is not in the feed")


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None):
    """(status, headers, body) of one plain HTTP request, as a podcast app or browser sends it.

    The headers are an `HTTPMessage`: looked up without regard to case (moto writes some in lower case).
    """
    parts = urlsplit(url)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def origin_url(cdn_url: str, media: Media) -> str:
    """Where the CDN fetches a custom-domain URL from: the same path in the bucket."""
    parts = urlsplit(cdn_url)
    assert parts.scheme == "https" and parts.hostname == CDN, cdn_url
    return f"{media.server.endpoint}/{media.bucket}{parts.path}"


def key_of(media: Media, prefix: str, name: str) -> str:
    """The one key in the bucket under `prefix` ending with `name`."""
    found = [key for key in media.object_keys() if key.startswith(prefix) and key.endswith(name)]
    assert len(found) == 1, (prefix, name, media.object_keys())
    return found[0]


class S3Requests:
    """Records the HTTP methods of the requests botocore sends (to any S3 endpoint) while active."""

    def __enter__(self) -> "S3Requests":
        self.methods: list[str] = []
        original = botocore.httpsession.URLLib3Session.send

        def send(session, request):
            self.methods.append(request.method)
            return original(session, request)

        self._patch = mock.patch.object(botocore.httpsession.URLLib3Session, "send", send)
        self._patch.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._patch.stop()


# --- configuration --------------------------------------------------------------------------


class TestConfiguration:
    def test_settings_from_the_environment_put_media_in_the_bucket(self, media):
        storage = media.configure(ZUNDAPOD_MEDIA_PREFIX="media")
        assert django_settings.MEDIA_ON_S3 is True
        assert (storage.bucket_name, storage.endpoint_url, storage.region_name) == (
            media.bucket,
            media.server.endpoint,
            REGION,
        )
        assert storage.file_overwrite is False
        # FileField.storage is the lazy default_storage, bound at class creation; it follows the switch.
        field_storage = Episode._meta.get_field("audio_file").storage
        assert field_storage is default_storage and field_storage.bucket_name == media.bucket
        name = default_storage.save("check/ずんだ.txt", ContentFile(b"zunda"))
        assert media.object_keys() == [f"media/{name}"]

    def test_the_media_route_is_absent(self, client, media):
        # Only the old site's catch-all (which knows no such path) is left to answer it.
        assert resolve("/media/audio/abc/ずんだ.mp3").url_name != "media"
        assert client.get("/media/audio/abc/ずんだ.mp3").status_code == 404

    def test_the_media_route_is_present_without_a_bucket(self, settings):
        # The control for the test above: the same URLconf file with local media.
        settings.ROOT_URLCONF = fresh_urlconf()
        assert resolve("/media/audio/abc/ずんだ.mp3").url_name == "media"


# --- uploads through the admin ----------------------------------------------------------------


class TestAdminUploads:
    def test_audio_image_and_thumbnail_land_in_the_bucket_with_japanese_names(self, admin_client, media):
        data = admin_episode_post(
            make_show(),
            audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"),
            image=upload("ずんだもん表紙.png", image_bytes(800, 600), "image/png"),
        )
        with S3Requests() as requests:
            response = admin_client.post("/admin/catalogue/episode/add/", data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        # Probed and thumbnailed from the upload: nothing is read back from the bucket.
        assert "PUT" in requests.methods and "GET" not in requests.methods, requests.methods

        episode = Episode.objects.get(number=100)
        audio_key = key_of(media, "audio/", f"/{EPISODE_AUDIO}")
        image_key = key_of(media, "images/episode/", "/ずんだもん表紙.png")
        thumbnail_key = key_of(media, "images/thumbnails/", "/100.jpg")
        assert media.object_keys() == sorted([audio_key, image_key, thumbnail_key])
        assert (episode.audio_file.name, episode.image.name, episode.thumbnail.name) == (
            audio_key,
            image_key,
            thumbnail_key,
        )
        assert episode.audio_size == MP3.stat().st_size == media.head(audio_key)["ContentLength"]
        assert episode.audio_duration > 1
        assert episode.audio_mime_type == "audio/mpeg"
        assert media.body(audio_key) == MP3.read_bytes()
        assert media.head(audio_key)["ContentType"] == "audio/mpeg"
        with Image.open(io.BytesIO(media.body(thumbnail_key))) as thumbnail:
            assert (thumbnail.format, max(thumbnail.size)) == ("JPEG", 480)

    def test_a_large_upload_spooled_to_disk_is_streamed_to_the_bucket(self, admin_client, media, settings):
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # the 2 MB episode becomes a TemporaryUploadedFile
        data = admin_episode_post(make_show(), audio_file=upload("長い回.mp3", long_mp3(), "audio/mpeg"))
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        episode = Episode.objects.get(number=100)
        assert episode.audio_size == len(long_mp3()) == media.head(episode.audio_file.name)["ContentLength"]
        assert episode.audio_duration > 500

    def test_the_same_file_name_never_shares_a_key(self, media):
        first = make_episode(audio=False, audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"))
        second = make_episode(audio=False, audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"))
        assert first.audio_file.name != second.audio_file.name
        assert media.object_keys() == sorted([first.audio_file.name, second.audio_file.name])

    def test_stored_image_type_follows_the_content(self, admin_client, media):
        # A JPEG named .png: the name is fixed, and Django's form ImageField replaces the browser's type.
        data = admin_episode_post(
            make_show(), audio_file=mp3_upload(), image=upload("表紙.png", jpeg_bytes(), "image/png")
        )
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        image = Episode.objects.get(number=100).image.name
        assert image.endswith("/表紙.jpg")
        assert media.head(image)["ContentType"] == "image/jpeg"

    def test_stored_audio_type_follows_the_content_not_the_browser(self, admin_client, media):
        # Browsers send application/octet-stream for extensions the OS has no type for.
        data = admin_episode_post(
            make_show(), audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "application/octet-stream")
        )
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        episode = Episode.objects.get(number=100)
        assert media.head(episode.audio_file.name)["ContentType"] == episode.audio_mime_type == "audio/mpeg"

    def test_stored_media_is_cacheable_like_local_media(self, media):
        episode = make_episode(audio=False, audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"))
        assert "max-age" in media.head(episode.audio_file.name).get("CacheControl", "")


# --- what pages and feeds point at ----------------------------------------------------------


@pytest.fixture
def published(media, settings):
    """Episode 100 with audio and a cover, stored in the bucket as the admin stores them."""
    settings.SITE_URL = "https://podcast.example.jp"

    def publish() -> Episode:
        return make_episode(
            number=100,
            audio=False,
            audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"),
            image=upload("ずんだもん表紙.png", image_bytes(), "image/png"),
        )

    return publish


class TestPublicBucket:
    def test_page_and_feed_point_at_the_bucket(self, client, media, published):
        episode = published()
        audio_url, image_url = media.url(episode.audio_file.name), media.url(episode.image.name)
        assert "%E7%A7%81%E7%AB%8B" in audio_url  # 私立, percent-encoded

        page = client.get("/episode/100").text
        assert page_audio_src(page) == audio_url
        assert page_cover_src(page) == image_url

        body = client.get("/feed.xml").content
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.bozo_exception
        enclosure = parsed.entries[0].enclosures[0]
        assert enclosure.href == audio_url
        assert int(enclosure.length) == media.head(episode.audio_file.name)["ContentLength"]
        assert enclosure.type == "audio/mpeg"
        assert feed_item(body, 100).find(f"{ITUNES}image").get("href") == image_url
        assert "Signature" not in audio_url and "X-Amz-" not in audio_url

    def test_a_range_request_on_the_feed_url_answers_206(self, client, media, published):
        episode = published()
        url = feedparser.parse(client.get("/feed.xml").content).entries[0].enclosures[0].href
        status, headers, body = fetch(url, headers={"Range": "bytes=0-1"})
        assert status == 206
        assert headers["Content-Range"] == f"bytes 0-1/{episode.audio_size}"
        assert body == MP3.read_bytes()[:2]

    def test_pages_and_feeds_make_no_storage_requests(self, client, media, published):
        published()
        with S3Requests() as requests:
            assert client.get("/episode/100").status_code == 200
            assert client.get("/").status_code == 200
            assert client.get("/feed.xml").status_code == 200
        assert requests.methods == []
        with S3Requests() as control:
            default_storage.exists("audio/nothing.mp3")
        assert control.methods == ["HEAD"]

    def test_without_a_bucket_policy_plain_urls_need_a_public_read_acl(self, media):
        media.set_public_read(False)
        private = default_storage.save("audio/abc/ずんだ.mp3", ContentFile(MP3.read_bytes()))
        assert fetch(default_storage.url(private))[0] == 403
        media.configure(AWS_DEFAULT_ACL="public-read")
        # An object no episode follows (an episode's own open with it: test_s3_media.py).
        public = default_storage.save("archive/abc/ずんだ.mp3", ContentFile(MP3.read_bytes()))
        status, headers, _ = fetch(default_storage.url(public), headers={"Range": "bytes=0-1"})
        assert (status, headers["Content-Range"]) == (206, f"bytes 0-1/{MP3.stat().st_size}")

    def test_old_site_paths_redirect_to_the_bucket(self, client, media, published):
        episode = published()
        LegacyPath.objects.create(path=f"/audio/{EPISODE_AUDIO}", episode=episode)
        stored = default_storage.save("images/imported/abc/お嬢様ずんだもん.jpg", ContentFile(jpeg_bytes()))
        LegacyPath.objects.create(path="/images/ojousama_zundamon_square.jpg", target=stored)

        audio = client.get(f"/audio/{quote(EPISODE_AUDIO)}")
        assert (audio.status_code, audio["Location"]) == (301, media.url(episode.audio_file.name))
        image = client.get("/images/ojousama_zundamon_square.jpg")
        assert (image.status_code, image["Location"]) == (301, media.url(stored))
        status, _, body = fetch(image["Location"])
        assert (status, body) == (200, jpeg_bytes())


class TestCdn:
    def test_page_and_feed_point_at_the_custom_domain(self, client, media, published):
        media.configure(AWS_S3_CUSTOM_DOMAIN=CDN, ZUNDAPOD_MEDIA_PREFIX="media")
        episode = published()
        audio_key = f"media/{episode.audio_file.name}"
        assert audio_key in media.object_keys()
        audio_url = f"https://{CDN}/{quote(audio_key)}"

        page = client.get("/episode/100").text
        assert page_audio_src(page) == audio_url
        assert page_cover_src(page) == f"https://{CDN}/{quote('media/' + episode.image.name)}"
        enclosure = feedparser.parse(client.get("/feed.xml").content).entries[0].enclosures[0]
        assert enclosure.href == audio_url
        assert int(enclosure.length) == media.head(audio_key)["ContentLength"]

        # The CDN's origin is the bucket: the same path there answers ranges.
        status, headers, _ = fetch(origin_url(audio_url, media), headers={"Range": "bytes=0-1"})
        assert (status, headers["Content-Range"]) == (206, f"bytes 0-1/{episode.audio_size}")

    def test_signed_mode_behind_a_cdn_gives_plain_urls(self, media, published):
        # Without a CloudFront key django-storages cannot sign CDN URLs: the CDN must reach a private bucket itself.
        media.configure(AWS_S3_CUSTOM_DOMAIN=CDN, AWS_QUERYSTRING_AUTH="1")
        episode = published()
        assert episode.audio_src == f"https://{CDN}/{quote(episode.audio_file.name)}"

    def test_moving_media_behind_a_cdn_refreshes_the_feed(self, client, media, published):
        published()
        before = client.get("/feed.xml")
        assert media.bucket in before.text
        media.configure(AWS_S3_CUSTOM_DOMAIN=CDN)  # a restart with the new variable; the shared cache stays
        after = client.get("/feed.xml", HTTP_IF_NONE_MATCH=before["ETag"])
        assert after.status_code == 200
        assert f"https://{CDN}/audio/" in after.text


class TestSignedUrls:
    def test_page_and_feed_carry_signed_urls_that_answer_ranges(self, client, media, published):
        media.set_public_read(False)
        media.configure(AWS_QUERYSTRING_AUTH="1")
        episode = published()
        # The control: in a private bucket the plain URL is refused.
        assert fetch(media.url(episode.audio_file.name))[0] == 403
        page_url = page_audio_src(client.get("/episode/100").text)
        feed_url = feedparser.parse(client.get("/feed.xml").content).entries[0].enclosures[0].href
        for url in (page_url, feed_url):
            assert url.startswith(media.url(episode.audio_file.name) + "?")
            query = parse_qs(urlsplit(url).query)
            assert "X-Amz-Signature" in query or "Signature" in query, url
            status, headers, _ = fetch(url, headers={"Range": "bytes=0-1"})
            assert (status, headers["Content-Range"]) == (206, f"bytes 0-1/{episode.audio_size}")

    def test_signed_urls_use_signature_version_4(self, media):
        media.configure(AWS_QUERYSTRING_AUTH="1")
        name = default_storage.save("audio/abc/ずんだ.mp3", ContentFile(MP3.read_bytes()))
        assert "X-Amz-Signature" in parse_qs(urlsplit(default_storage.url(name)).query)

    def test_signed_feed_urls_outlive_the_cached_feed(self, client, media, published, settings):
        media.configure(AWS_QUERYSTRING_AUTH="1")
        published()
        url = feedparser.parse(client.get("/feed.xml").content).entries[0].enclosures[0].href
        query = parse_qs(urlsplit(url).query)
        if "X-Amz-Expires" in query:
            lifetime = int(query["X-Amz-Expires"][0])
        else:
            lifetime = int(query["Expires"][0]) - time.time()
        assert lifetime >= settings.FEED_CACHE_SECONDS + settings.FEED_MAX_AGE


# --- probing without downloading --------------------------------------------------------------


class TestProbing:
    @pytest.mark.parametrize("signed", [False, True], ids=["public", "signed"])
    def test_probe_reads_a_stored_episode_by_ranges(self, media, signed):
        if signed:
            media.set_public_read(False)
            media.configure(AWS_QUERYSTRING_AUTH="1")
        data = long_mp3()
        name = default_storage.save("audio/abc/ずんだもん 長い回.mp3", ContentFile(data))
        stats = ProbeStats()
        info = probe_remote_audio(default_storage.url(name), stats=stats)
        assert info.size == len(data)
        assert info.duration > 500
        assert info.mime_type == "audio/mpeg"
        assert stats.bytes_received < 0.2 * len(data), stats

    def test_the_admin_probes_an_audio_url_in_the_bucket(self, admin_client, media, django_capture_on_commit_callbacks):
        name = default_storage.save("archive/ずんだもん 長い回.mp3", ContentFile(long_mp3()))
        data = admin_episode_post(make_show(), audio_url=default_storage.url(name))
        with django_capture_on_commit_callbacks(execute=True):
            assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        run_queued()  # the probe is the worker's, after the save
        episode = Episode.objects.get(number=100)
        assert (episode.audio_size, episode.feed_problem) == (len(long_mp3()), "")


# --- other writers: the editor's images, the archive import ---------------------------------


class TestOtherWriters:
    def test_markdown_editor_image_goes_to_the_bucket(self, admin_client, media):
        response = admin_client.post("/markdownx/upload/", {"image": upload("図解.png", image_bytes(), "image/png")})
        assert response.status_code == 200, response.content
        key = key_of(media, "markdown/", "/図解.png")
        assert response.json()["image_code"] == f"![]({media.url(key)})"

    @needs_samples
    def test_archive_import_stores_audio_and_images_in_the_bucket(self, client, media, tmp_path):
        site = sample_site(tmp_path, with_audio=True)
        (site / "images" / "actors").mkdir(parents=True)
        (site / "images" / "ojousama_zundamon_square.jpg").write_bytes(jpeg_bytes(1400, 1400))
        (site / "images" / "actors" / "春日部つむぎ立ち絵_公式_v1.1.1.png").write_bytes(image_bytes())
        call_command("import_jekyll", str(site), stdout=io.StringIO(), stderr=io.StringIO())

        episode = Episode.objects.get(number=371)
        assert episode.audio_file.name.endswith("/私立ずんだもん女学園放送部_podcast_20251121.mp3")
        assert media.head(episode.audio_file.name)["ContentLength"] == episode.audio_size == MP3.stat().st_size
        cover = key_of(media, "images/imported/", "/ojousama_zundamon_square.jpg")
        assert episode.image.name == cover
        key_of(media, "images/imported/", "/春日部つむぎ立ち絵_公式_v1.1.1.png")
        # Artwork is chosen by reading the stored image back from the bucket.
        assert Show.objects.get(name="私立ずんだもん女学園放送部").artwork.name == cover
        old = client.get("/images/ojousama_zundamon_square.jpg")
        assert (old.status_code, old["Location"]) == (301, media.url(cover))


class TestDeletedEpisodes:
    def test_a_deleted_episodes_objects_leave_the_bucket(self, admin_client, media, django_capture_on_commit_callbacks):
        """Issue 24, finding 12: on S3 a deleted episode's files stayed public by URL."""
        data = admin_episode_post(
            make_show(),
            audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"),
            image=upload("表紙.png", image_bytes(800, 600), "image/png"),
        )
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        episode = Episode.objects.get(number=100)
        assert len(media.object_keys()) == 3
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"/admin/catalogue/episode/{episode.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert media.object_keys() == []
