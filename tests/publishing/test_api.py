"""The publishing API (episodes/publishing/api/): real multipart requests, JSON answers, exactly-once publishing."""

import http.client
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import get_resolver
from django.utils import timezone

from episodes.catalogue.models import Episode, LegacyPath
from episodes.publishing import api
from episodes.publishing.api import urls as api_urls
from episodes.publishing.api import views
from episodes.publishing.models import ApiToken, IdempotencyRecord
from tests.factories import MP3, POST, make_episode, make_show
from tests.small_disk import fill, small_disk

pytestmark = pytest.mark.django_db

URL = "/api/v1/episodes"
POST_NAME = "2026-01-05-600.md"
STEM = "毎朝の番組_podcast_20260105"
SCRIPT = "おはようなのだ。\n一本目なのだ。\n二本目なのだ。\n"
TIMELINE = [
    {"type": "agenda", "notes": "おはようなのだ。", "start_ms": 0, "end_ms": 500},
    {"type": "section", "url": "https://example.com/one", "notes": "一本目なのだ。", "start_ms": 500, "end_ms": 1200},
    {"type": "section", "url": "https://example.com/two", "notes": "二本目なのだ。", "start_ms": 1200, "end_ms": 2000},
]
DOCUMENT = json.loads(api.OPENAPI_PATH.read_text(encoding="utf-8"))


def pipeline_files(*, post=POST, post_name=POST_NAME, audio=None, script=SCRIPT, timeline=TIMELINE) -> dict:
    """What the pipeline uploads, as fresh file objects (the test client reads each once)."""
    files = {"post": SimpleUploadedFile(post_name, post.encode(), content_type="text/markdown")}
    if audio is not False:
        audio = MP3.read_bytes() if audio is None else audio
        files["audio"] = SimpleUploadedFile(f"{STEM}.mp3", audio, content_type="audio/mpeg")
    if script is not None:
        files["script"] = SimpleUploadedFile(f"{STEM}.txt", script.encode() if isinstance(script, str) else script)
    if timeline is not None:
        files["timeline"] = SimpleUploadedFile(f"{STEM}.json", json.dumps(timeline, ensure_ascii=False).encode())
    return files


def send(client, secret: str | None, data: dict | None = None, *, key: str | None = None, **extra):
    headers = {}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, pipeline_files() if data is None else data, headers=headers, **extra)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    """Uploads and the API's working folders land here, so a test can see that nothing is left."""
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return settings.FILE_UPLOAD_TEMP_DIR


@pytest.fixture
def show():
    return make_show(name="毎朝の番組", slug="maiasa")


@pytest.fixture
def secret(show) -> str:
    _, secret = ApiToken.issue(name="パイプライン", shows=[show])
    return secret


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def assert_nothing_written(settings) -> None:
    assert not Episode.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert stored_files(settings) == []
    assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert body["message_ja"] and body["message_en"]
    return body


class TestPublish:
    def test_success(self, client, secret, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        response = send(client, secret, {**pipeline_files(), "publish_at": "2026-01-05T06:00:00+09:00"})

        assert response.status_code == 201, response.content
        assert response["Location"] == "/api/v1/episodes/600"
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        episode = Episode.objects.get(number=600)
        assert body == {
            "number": 600,
            "title": "毎朝の番組 podcast 20260105",
            "show": {"slug": "maiasa", "name": "毎朝の番組"},
            "url": "https://podcast.example.jp/episode/600",
            "guid": "https://podcast.example.jp/episode/600",
            "status": "published",
            "published_at": "2026-01-05T06:00:00+09:00",
            "audio": {
                "url": "https://podcast.example.jp" + episode.audio_file.url,
                "size": MP3.stat().st_size,
                "duration": episode.audio_duration,
                "mime_type": "audio/mpeg",
            },
            "articles": 2,
            "chapters": 2,
            "transcript": True,
            "warnings": [],
            "result": "created",
        }
        assert episode.audio_duration > 0
        assert episode.audio_file.name.endswith(f"{STEM}.mp3")
        assert [a.start_seconds for a in episode.articles.all()] == [0.5, 1.2]
        assert episode.transcript.startswith("おはようなのだ。")
        assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []

    def test_schedule_and_draft(self, client, secret):
        later = timezone.localtime() + timedelta(days=1)
        body = send(client, secret, {**pipeline_files(), "publish_at": later.strftime("%Y-%m-%dT%H:%M:%S")}).json()
        assert body["status"] == "scheduled"
        assert body["published_at"] == later.replace(microsecond=0).isoformat()
        assert Episode.objects.get(number=600).is_scheduled

        Episode.objects.all().delete()
        body = send(client, secret, {**pipeline_files(), "draft": "true"}).json()
        assert body["status"] == "draft"
        assert body["published_at"] == "2026-01-05T06:00:00+09:00"  # the post's date

    def test_script_and_timeline_are_optional(self, client, secret):
        response = send(client, secret, pipeline_files(script=None, timeline=None))
        assert response.status_code == 201
        body = response.json()
        assert (body["articles"], body["chapters"], body["transcript"]) == (2, 0, False)

    def test_warns_about_a_timeline_section_that_matched_no_article(self, client, secret):
        extra = {"type": "section", "url": "https://example.com/three", "start_ms": 2000, "end_ms": 2500}
        body = send(client, secret, pipeline_files(timeline=[*TIMELINE, extra])).json()
        assert [w["code"] for w in body["warnings"]] == ["timeline_section_unmatched"]
        assert "節" in body["warnings"][0]["message"]

    def test_external_audio_needs_no_mp3(self, client, secret):
        post = POST.replace("/audio/毎朝の番組_podcast_20260105.mp3", "https://cdn.example.jp/audio/ep600.mp3")
        files = pipeline_files(post=post, audio=False)
        files["timeline"].name = "ep600.json"
        body = send(client, secret, files).json()
        assert body["audio"] == {
            "url": "https://cdn.example.jp/audio/ep600.mp3",
            "size": None,
            "duration": 2.0,
            "mime_type": None,
        }
        assert [w["code"] for w in body["warnings"]] == ["external_audio_size_unknown", "not_in_feed"]
        assert body["chapters"] == 2

    def test_external_audio_is_probed_on_the_way_in_and_lands_in_the_feed(self, client, secret, ranged):
        post = POST.replace("/audio/毎朝の番組_podcast_20260105.mp3", ranged.url("/tone.mp3"))
        body = send(client, secret, pipeline_files(post=post, audio=False)).json()
        assert body["audio"]["size"] == MP3.stat().st_size
        assert body["warnings"] == []
        assert Episode.objects.get(number=600).feed_guid in client.get("/feed.xml").text

    def test_a_token_for_every_show_may_start_a_new_show(self, client):
        _, secret = ApiToken.issue(name="運用", all_shows=True)
        body = send(client, secret).json()
        assert body["show"]["name"] == "毎朝の番組"


class TestExactlyOnce:
    def test_retry_with_the_same_key_returns_the_first_result(self, client, secret):
        first = send(client, secret, key="run-1")
        retry = send(client, secret, key="run-1")

        assert (first.status_code, retry.status_code) == (201, 200)
        assert retry.json() == first.json()
        assert retry["Idempotent-Replayed"] == "true"
        assert Episode.objects.count() == 1
        assert IdempotencyRecord.objects.get().status_code == 201

    def test_same_key_with_different_content_is_a_conflict(self, client, secret):
        send(client, secret, key="run-1")
        changed = pipeline_files(post=POST.replace("一本目の記事", "差し替えた記事"))
        body = assert_error(send(client, secret, changed, key="run-1"), 409, "idempotency_key_reused")
        assert "Idempotency-Key" in body["message_ja"]
        assert Episode.objects.get().articles.first().title == "一本目の記事"

    def test_same_key_with_other_form_values_is_a_conflict(self, client, secret):
        send(client, secret, key="run-1")
        response = send(client, secret, {**pipeline_files(), "draft": "true"}, key="run-1")
        assert_error(response, 409, "idempotency_key_reused")

    def test_keys_belong_to_their_token(self, client, secret, show):
        send(client, secret, key="run-1")
        _, other = ApiToken.issue(name="別のパイプライン", shows=[show])
        post = POST.replace("20260105", "20260106")
        response = send(client, other, pipeline_files(post=post, post_name="2026-01-06-601.md"), key="run-1")
        assert response.status_code == 201

    def test_a_retry_while_the_first_is_still_running_is_told_to_wait(self, client, secret):
        send(client, secret, key="run-1")
        IdempotencyRecord.objects.update(status_code=None, body={})  # as if the first were still publishing
        response = send(client, secret, key="run-1")
        assert_error(response, 409, "request_in_progress")
        assert response["Retry-After"] == "5"

    def test_a_claim_whose_request_died_is_taken_over(self, client, secret):
        send(client, secret, key="run-1")
        IdempotencyRecord.objects.update(status_code=None, body={}, created_at=timezone.now() - timedelta(minutes=11))
        response = send(client, secret, key="run-1")
        assert response.status_code == 200
        assert response.json()["result"] == "unchanged"
        assert IdempotencyRecord.objects.get().status_code == 200

    def test_only_one_request_may_claim_a_key(self, secret):
        token = ApiToken.objects.get()
        first, ours = IdempotencyRecord.objects.claim(token=token, key="k", fingerprint="a" * 64)
        second, also_ours = IdempotencyRecord.objects.claim(token=token, key="k", fingerprint="a" * 64)
        assert (ours, also_ours) == (True, False)
        assert second == first and second.in_progress

    def test_an_error_is_not_kept_so_a_corrected_retry_publishes(self, client, secret, settings):
        assert_error(
            send(client, secret, pipeline_files(audio=b"not audio" * 100), key="run-1"), 415, "audio_unreadable"
        )
        assert_nothing_written(settings)
        assert send(client, secret, key="run-1").status_code == 201

    def test_a_race_on_the_number_is_run_again_and_answers_unchanged(self, client, secret, monkeypatch):
        original, calls = views.publish_post, []

        def racing(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                # Another request wrote the same post after this one's check: its INSERT fails.
                raise IntegrityError("UNIQUE constraint failed: catalogue_episode.number")
            original(*args, **kwargs)  # (the other request's episode, here written just in time)
            return original(*args, **kwargs)

        monkeypatch.setattr(views, "publish_post", racing)
        response = send(client, secret)
        assert response.status_code == 200, response.content
        assert response.json()["result"] == "unchanged"
        assert Episode.objects.count() == 1

    def test_without_a_key_the_same_post_answers_the_existing_episode(self, client, secret):
        first = send(client, secret).json()
        again = send(client, secret)
        assert again.status_code == 200
        assert again.json() == first | {"result": "unchanged"}
        assert Episode.objects.count() == 1

    def test_without_a_key_different_content_is_refused_unless_overwrite(self, client, secret):
        send(client, secret)
        changed = POST.replace("一本目の記事", "差し替えた記事")
        body = assert_error(send(client, secret, pipeline_files(post=changed)), 409, "content_conflict")
        assert body["number"] == 600
        assert "overwrite=true" in body["message_ja"]
        assert Episode.objects.get().articles.first().title == "一本目の記事"

        replaced = send(client, secret, {**pipeline_files(post=changed), "overwrite": "true"})
        assert replaced.status_code == 200
        assert replaced.json()["result"] == "updated"
        assert Episode.objects.get().articles.first().title == "差し替えた記事"


class TestErrors:
    def test_malformed_post_names_file_and_line(self, client, secret, settings):
        post = "---\ntitle: 毎朝の番組 podcast 20260105\ndate: [broken\n---\n"
        body = assert_error(send(client, secret, pipeline_files(post=post)), 400, "post_invalid")
        assert body["file"] == POST_NAME
        assert body["line"] == 3  # the broken line
        assert "YAML" in body["message_ja"]
        assert_nothing_written(settings)

    def test_post_file_name_must_carry_date_and_number(self, client, secret, settings):
        body = assert_error(send(client, secret, pipeline_files(post_name="today.md")), 400, "post_invalid")
        assert body["file"] == "today.md"
        assert body["line"] is None
        assert_nothing_written(settings)

    def test_breaking_an_episode_rule_names_the_field(self, client, secret):
        post = POST.replace("title:", "image_url: /images/relative.png\ntitle:")
        body = assert_error(send(client, secret, pipeline_files(post=post)), 400, "validation_failed")
        assert list(body["fields"]) == ["image_url"]
        assert not Episode.objects.exists()
        assert not IdempotencyRecord.objects.exists()

    def test_breaking_an_episode_rule_stores_no_file(self, client, secret, settings):
        post = POST.replace("title:", "image_url: /images/relative.png\ntitle:")
        send(client, secret, pipeline_files(post=post))
        assert stored_files(settings) == []

    def test_a_special_whose_show_cannot_be_told_is_refused(self, client, secret, settings):
        post = POST.replace("title: 毎朝の番組 podcast 20260105", "title: ずんだもんの年末スペシャル")
        body = assert_error(send(client, secret, pipeline_files(post=post)), 400, "show_unknown")
        assert body["file"] == POST_NAME
        assert_nothing_written(settings)

    @pytest.mark.parametrize(
        ("make_data", "code", "field"),
        [
            (lambda: {k: v for k, v in pipeline_files().items() if k != "post"}, "post_missing", "post"),
            (lambda: pipeline_files(audio=False), "audio_missing", "audio"),
            (lambda: {**pipeline_files(), "publish_at": "来週の月曜"}, "field_invalid", "publish_at"),
            (lambda: {**pipeline_files(), "draft": "maybe"}, "field_invalid", "draft"),
            (lambda: {**pipeline_files(), "mp3": "x"}, "field_unknown", "mp3"),
            (lambda: pipeline_files(script="台本".encode("shift_jis")), "script_invalid", "script"),
        ],
        ids=["no-post", "no-audio", "bad-date", "bad-boolean", "unknown-field", "script-not-utf8"],
    )
    def test_bad_form(self, client, secret, settings, make_data, code, field):
        body = assert_error(send(client, secret, make_data()), 400, code)
        assert body["field"] == field
        assert_nothing_written(settings)

    def test_a_field_sent_twice_is_refused(self, client, secret):
        response = send(client, secret, {**pipeline_files(), "draft": ["true", "false"]})
        assert_error(response, 400, "field_repeated")

    def test_an_mp3_for_a_post_with_external_audio_is_refused(self, client, secret, settings):
        post = POST.replace("/audio/毎朝の番組_podcast_20260105.mp3", "https://cdn.example.jp/ep600.mp3")
        assert_error(send(client, secret, pipeline_files(post=post)), 400, "audio_not_expected")
        assert_nothing_written(settings)

    def test_not_multipart(self, client, secret):
        response = client.post(URL, {"post": "x"}, content_type="application/json", headers=bearer(secret))
        assert_error(response, 400, "multipart_required")

    def test_bad_idempotency_key(self, client, secret, settings):
        assert_error(send(client, secret, key="日本語のキー"), 400, "idempotency_key_invalid")
        assert_nothing_written(settings)

    def test_no_token(self, client, show, settings):
        response = send(client, None)
        assert_error(response, 401, "token_missing")
        assert response["WWW-Authenticate"] == 'Bearer realm="zundapod"'
        assert_nothing_written(settings)

    @pytest.mark.parametrize("header", ["Bearer zpd_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "zpd_abc"])
    def test_wrong_token(self, client, secret, header):
        response = client.post(URL, pipeline_files(), headers={"Authorization": header})
        assert_error(response, 401, "token_invalid")
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    def test_revoked_token(self, client, secret, settings):
        ApiToken.objects.revoke()
        assert_error(send(client, secret), 401, "token_revoked")
        assert_nothing_written(settings)

    def test_token_not_allowed_for_the_show(self, client, secret, settings):
        _, other = ApiToken.issue(name="別の番組用", shows=[make_show(name="別の番組", slug="other")])
        body = assert_error(send(client, other), 403, "show_not_allowed")
        assert body["show"] == "毎朝の番組"
        assert "毎朝の番組" in body["message_ja"]
        assert_nothing_written(settings)

    def test_a_token_cannot_take_over_another_shows_episode_number(self, client, secret):
        other_show = make_show(name="別の番組", slug="other")
        make_episode(show=other_show, number=600, title="別の番組の回")
        data = {**pipeline_files(), "overwrite": "true"}
        body = assert_error(send(client, secret, data), 403, "show_not_allowed")
        assert body["show"] == "別の番組"
        episode = Episode.objects.get(number=600)
        assert (episode.show, episode.title) == (other_show, "別の番組の回")

    def test_a_token_cannot_take_over_another_shows_old_audio_path(self, client, secret):
        """Issue 12, finding 8: naming another show's old /audio/ path in a post took its redirect."""
        other = make_episode(show=make_show(name="別の番組", slug="other"), number=700)
        LegacyPath.objects.create(path="/audio/毎朝の番組_podcast_20260105.mp3", episode=other)

        response = send(client, secret)

        assert response.status_code == 201
        assert "legacy_path_taken" in [w["code"] for w in response.json()["warnings"]]
        assert LegacyPath.objects.get().episode == other
        assert client.get("/audio/毎朝の番組_podcast_20260105.mp3")["Location"] == other.audio_src

    def test_an_old_audio_path_follows_its_own_episode(self, client, secret):
        send(client, secret)
        first = Episode.objects.get(number=600)
        assert LegacyPath.objects.get().episode == first

        assert send(client, secret, {**pipeline_files(), "overwrite": "true"}).status_code == 200
        assert LegacyPath.objects.get().episode == first

    def test_a_token_for_named_shows_cannot_start_a_new_one(self, client, secret, settings):
        post = POST.replace("毎朝の番組 podcast", "新しい番組 podcast")
        assert_error(send(client, secret, pipeline_files(post=post)), 403, "show_not_allowed")
        assert_nothing_written(settings)

    def test_unreadable_audio(self, client, secret, settings):
        body = assert_error(send(client, secret, pipeline_files(audio=b"not audio" * 100)), 415, "audio_unreadable")
        assert "読めません" in body["message_ja"]
        assert body["field"] == "audio"
        assert_nothing_written(settings)

    def test_too_large_by_content_length_is_refused_before_reading(self, client, secret, settings):
        settings.MAX_UPLOAD_BYTES = 10 * 1024 * 1024
        # The test client's payload fails loudly if read past what it holds: a 413 proves the body was not read.
        response = client.generic(
            "POST",
            URL,
            b"--x\r\n",
            content_type="multipart/form-data; boundary=x",
            headers=bearer(secret),
            CONTENT_LENGTH=str(20 * 1024 * 1024),
        )
        body = assert_error(response, 413, "upload_too_large")
        assert body["max_upload_bytes"] == 10 * 1024 * 1024
        assert_nothing_written(settings)

    def test_too_large_while_reading(self, client, secret, settings):
        settings.MAX_UPLOAD_BYTES = MP3.stat().st_size // 2  # the body's length alone does not tell
        assert_error(send(client, secret), 413, "upload_too_large")
        assert_nothing_written(settings)

    def test_the_default_limit_is_300_mb(self):
        assert "MAX_UPLOAD_BYTES" not in os.environ
        assert api.max_upload_bytes() == 300 * 1024 * 1024

    def test_length_required(self, client, secret):
        response = client.generic("POST", URL, b"", content_type=MULTIPART_CONTENT, headers=bearer(secret))
        assert_error(response, 411, "length_required")

    def test_wrong_method(self, client, secret):
        response = client.get(URL, headers=bearer(secret))
        assert_error(response, 405, "method_not_allowed")
        assert response["Allow"] == "POST"

    def test_unexpected_failure_is_json_and_writes_nothing(self, client, secret, settings, monkeypatch, caplog):
        def explode(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(views, "publish_post", explode)
        assert_error(send(client, secret, key="run-1"), 500, "internal_error")
        assert "disk on fire" in caplog.text
        assert_nothing_written(settings)

    def test_no_csrf_token_needed_and_no_session_used(self, secret, show):
        response = Client(enforce_csrf_checks=True).post(URL, pipeline_files(), headers=bearer(secret))
        assert response.status_code == 201
        assert "sessionid" not in response.cookies
        assert "csrftoken" not in response.cookies


class TestEpisodeAndHealth:
    def test_get_episode_has_the_publish_answers_shape(self, client, secret):
        published = send(client, secret).json()
        response = client.get("/api/v1/episodes/600", headers=bearer(secret))
        assert response.status_code == 200
        assert response.json() == {k: v for k, v in published.items() if k != "result"}

    def test_get_episode_errors(self, client, secret):
        assert_error(client.get("/api/v1/episodes/600", headers=bearer(secret)), 404, "episode_not_found")
        assert_error(client.get("/api/v1/episodes/600"), 401, "token_missing")
        make_episode(make_show(name="別の番組"), number=601)
        assert_error(client.get("/api/v1/episodes/601", headers=bearer(secret)), 403, "show_not_allowed")

    def test_get_episode_says_why_it_is_not_in_the_feed(self, client, secret, show):
        make_episode(show, number=602, audio="https://cdn.example.jp/602.mp3")
        body = client.get("/api/v1/episodes/602", headers=bearer(secret)).json()
        assert [w["code"] for w in body["warnings"]] == ["not_in_feed"]

    def test_health(self, client, secret, settings):
        settings.MAX_UPLOAD_BYTES = 123
        response = client.get("/api/v1/health", headers=bearer(secret))
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["token"] == {
            "name": "パイプライン",
            "all_shows": False,
            "shows": [{"slug": "maiasa", "name": "毎朝の番組"}],
        }
        assert body["max_upload_bytes"] == 123
        assert ApiToken.objects.get().last_used_at is not None

    def test_health_needs_a_valid_token(self, client, secret):
        assert_error(client.get("/api/v1/health"), 401, "token_missing")
        ApiToken.objects.revoke()
        assert_error(client.get("/api/v1/health", headers=bearer(secret)), 401, "token_revoked")

    def test_last_use_is_recorded_at_most_once_a_minute(self, client, secret, django_assert_num_queries):
        client.get("/api/v1/health", headers=bearer(secret))
        with django_assert_num_queries(2):  # the token and its shows; no UPDATE
            client.get("/api/v1/health", headers=bearer(secret))

    def test_secrets_are_stored_only_as_hashes(self, secret):
        token = ApiToken.objects.get()
        assert secret.startswith("zpd_") and len(secret) >= 40
        assert secret not in {token.token_hash, token.hint}
        assert token.hint == secret[:8]
        assert ApiToken.objects.for_secret(secret) == token


@pytest.mark.django_db(transaction=True)
def test_published_through_a_live_server_appears_on_the_site(live_server, settings):
    """Real HTTP end to end: the pipeline's POST, its check, then what listeners and podcast apps get."""
    settings.SITE_URL = live_server.url
    show = make_show(name="毎朝の番組", slug="maiasa")
    _, secret = ApiToken.issue(name="パイプライン", shows=[show])
    parts = urlsplit(live_server.url)

    def request(method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), response
        finally:
            conn.close()

    body = encode_multipart(BOUNDARY, {**pipeline_files(), "publish_at": "2026-01-05T06:00:00+09:00"})
    headers = {**bearer(secret), "Content-Type": MULTIPART_CONTENT, "Idempotency-Key": "ci-run-42"}
    status, content, _ = request("POST", URL, body, headers)
    assert status == 201, content
    published = json.loads(content)
    status, content, _ = request("POST", URL, body, headers)
    assert (status, json.loads(content)) == (200, published)

    status, content, _ = request("GET", "/api/v1/episodes/600", headers=bearer(secret))
    assert status == 200
    assert json.loads(content)["audio"]["size"] == MP3.stat().st_size

    status, home, _ = request("GET", "/")
    assert status == 200
    assert "毎朝の番組 podcast 20260105" in home.decode()

    status, feed_bytes, _ = request("GET", "/feed.xml")
    (entry,) = feedparser.parse(feed_bytes).entries
    assert entry.id == published["guid"] == f"{live_server.url}/episode/600"
    assert int(entry.enclosures[0].length) == MP3.stat().st_size == published["audio"]["size"]
    assert int(entry.itunes_duration) == round(published["audio"]["duration"])
    item = ET.fromstring(feed_bytes).find("channel/item")
    namespace = "{https://podcastindex.org/namespace/1.0}"
    chapters_url = item.find(f"{namespace}chapters").get("url")
    transcript_urls = [t.get("url") for t in item.findall(f"{namespace}transcript")]
    status, chapters, _ = request("GET", urlsplit(chapters_url).path)
    assert [c["startTime"] for c in json.loads(chapters)["chapters"]] == [0, 0.5, 1.2]
    transcripts = [request("GET", urlsplit(url).path) for url in transcript_urls]
    assert transcripts and all(status == 200 for status, _, _ in transcripts)
    assert any("一本目なのだ。" in content.decode() for _, content, _ in transcripts)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's memory from /proc (Linux)")
def test_a_100_mb_upload_keeps_the_server_memory_flat():
    """bench/upload.py: gunicorn, a 100 MB MP3 streamed in, the worker's peak RSS growth under 60 MB."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "upload.py"
    result = subprocess.run([sys.executable, str(bench)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout


# --- the OpenAPI description matches what the API does -------------------------------------------


def documented_responses() -> list[tuple[str, str, str]]:
    return [
        (path, method, status)
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    ]


def _explode(*args, **kwargs):
    raise RuntimeError("broken on purpose")


def _post(client, secret, monkeypatch, settings, show):
    return send(client, secret)


def _post_retry(client, secret, monkeypatch, settings, show):
    send(client, secret, key="k")
    return send(client, secret, key="k")


def _post_conflict(client, secret, monkeypatch, settings, show):
    send(client, secret)
    return send(client, secret, pipeline_files(post=POST.replace("一本目の記事", "別の記事")))


def _post_too_large(client, secret, monkeypatch, settings, show):
    settings.MAX_UPLOAD_BYTES = 100
    return send(client, secret)


def _post_failing(client, secret, monkeypatch, settings, show):
    monkeypatch.setattr(views, "publish_post", _explode)
    return send(client, secret)


def _post_disk_full(client, secret, monkeypatch, settings, show):
    """A real full media disk (a small tmpfs, root only): see tests/faults/test_requests_disk.py for what is left."""
    with small_disk() as mount:
        settings.MEDIA_ROOT = mount
        fill(mount, leave=MP3.stat().st_size // 2)
        return send(client, secret)


def _get(client, secret, monkeypatch, settings, show):
    make_episode(show, number=601)
    return client.get("/api/v1/episodes/601", headers=bearer(secret))


def _other_show(client, secret, monkeypatch, settings, show):
    make_episode(make_show(name="別の番組"), number=601)
    return client.get("/api/v1/episodes/601", headers=bearer(secret))


def _get_failing(client, secret, monkeypatch, settings, show):
    make_episode(show, number=601)
    monkeypatch.setattr(views, "episode_json", _explode)
    return client.get("/api/v1/episodes/601", headers=bearer(secret))


def _health_failing(client, secret, monkeypatch, settings, show):
    monkeypatch.setattr(views, "max_upload_bytes", _explode)
    return client.get("/api/v1/health", headers=bearer(secret))


EPISODE = "/api/v1/episodes/{number}"
SCENARIOS = {
    (URL, "post", "201"): _post,
    (URL, "post", "200"): _post_retry,
    (URL, "post", "400"): lambda c, s, *_: send(c, s, pipeline_files(audio=False)),
    (URL, "post", "401"): lambda c, s, *_: send(c, None),
    (URL, "post", "403"): lambda c, s, *_: send(c, ApiToken.issue(name="x", shows=[make_show()])[1]),
    (URL, "post", "409"): _post_conflict,
    (URL, "post", "411"): lambda c, s, *_: c.generic("POST", URL, b"", MULTIPART_CONTENT, headers=bearer(s)),
    (URL, "post", "413"): _post_too_large,
    (URL, "post", "415"): lambda c, s, *_: send(c, s, pipeline_files(audio=b"\x00" * 4096)),
    (URL, "post", "500"): _post_failing,
    (URL, "post", "507"): _post_disk_full,
    (EPISODE, "get", "200"): _get,
    (EPISODE, "get", "401"): lambda c, s, *_: c.get("/api/v1/episodes/601", headers=bearer("zpd_wrong")),
    (EPISODE, "get", "403"): _other_show,
    (EPISODE, "get", "404"): lambda c, s, *_: c.get("/api/v1/episodes/999", headers=bearer(s)),
    (EPISODE, "get", "500"): _get_failing,
    ("/api/v1/health", "get", "200"): lambda c, s, *_: c.get("/api/v1/health", headers=bearer(s)),
    ("/api/v1/health", "get", "401"): lambda c, s, *_: c.get("/api/v1/health"),
    ("/api/v1/health", "get", "500"): _health_failing,
    ("/api/v1/openapi.json", "get", "200"): lambda c, *_: c.get("/api/v1/openapi.json"),
}


def response_validator(path: str, method: str, status: str):
    """A JSON Schema validator for one documented answer, resolving $refs within the document."""
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    response = DOCUMENT["paths"][path][method]["responses"][status]
    pointer = "/".join(["#/paths", path.replace("/", "~1"), method, "responses", status])
    if "$ref" in response:
        pointer = response["$ref"]
    registry = Registry().with_resource(
        "urn:zundapod:openapi", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:zundapod:openapi{pointer}/content/application~1json/schema"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


class TestOpenApi:
    def test_served_and_valid(self, client):
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        assert response.json() == DOCUMENT
        validator = pytest.importorskip("openapi_spec_validator")
        validator.validate(DOCUMENT)

    def test_every_documented_answer_has_a_scenario(self):
        assert set(SCENARIOS) == set(documented_responses())

    @pytest.mark.parametrize(("path", "method", "status"), documented_responses())
    def test_every_documented_answer_happens_as_documented(
        self, client, secret, monkeypatch, settings, show, path, method, status
    ):
        response = SCENARIOS[path, method, status](client, secret, monkeypatch, settings, show)
        assert response.status_code == int(status), response.content
        response_validator(path, method, status).validate(response.json())

    def test_every_route_is_documented(self):
        resolver = get_resolver()
        documented = {path.replace("{number}", "1") for path in DOCUMENT["paths"]}
        routes = {f"/api/v1/{pattern.pattern}".replace("<int:number>", "1") for pattern in api_urls.urlpatterns}
        assert routes == documented
        for path in documented:
            assert resolver.resolve(path).namespace == "api"

    def test_every_error_code_is_documented(self):
        assert set(api.ERRORS) == set(DOCUMENT["components"]["schemas"]["Error"]["properties"]["code"]["enum"])


class TestCostBoundedBeforeWork:
    """Finding 5: the post was parsed before the token's scope was checked."""

    BOMB = "---\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n" for n in range(8)
    )

    def test_a_token_with_no_shows_gets_no_body_read(self, client):
        _, secret = ApiToken.issue(name="どこにも出せない", shows=[])
        # A body the server would have to spool: refused from the headers alone.
        response = client.generic(
            "POST",
            URL,
            b"",
            content_type=MULTIPART_CONTENT,
            HTTP_AUTHORIZATION=f"Bearer {secret}",
            CONTENT_LENGTH=str(200 * 1024 * 1024),
        )
        assert_error(response, 403, "show_not_allowed")

    def test_an_alias_bomb_is_refused_in_well_under_a_second(self, client, secret):
        post = self.BOMB + "title: *i\n---\n本文\n"
        assert len(post.encode()) < 600
        started = time.perf_counter()
        response = send(client, secret, pipeline_files(post=post))
        assert time.perf_counter() - started < 1
        body = assert_error(response, 400, "post_invalid")
        assert "エイリアス" in body["message_ja"]
        assert not Episode.objects.exists()
