"""A full media disk, for real: a small tmpfs as MEDIA_ROOT (issue 24, finding 12).

Mounting needs root (CI's container, this machine); elsewhere the tests skip
and say so (tests/small_disk.py).
"""

import io
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from PIL import Image

from episodes.catalogue.models import Episode
from episodes.publishing.models import ApiToken, IdempotencyRecord

from ..factories import MP3, POST, episode_form, make_episode, make_show, mp3_upload
from ..small_disk import files_under, fill
from ..small_disk import small_disk as mounted_small_disk

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/catalogue/episode/pending-upload/"


@pytest.fixture
def small_disk(tmp_path, settings):
    with mounted_small_disk(tmp_path) as mount:
        settings.MEDIA_ROOT = mount
        yield mount


class TestFullMediaDisk:
    def test_a_pending_upload_gets_a_japanese_507_and_leaves_no_partial_file(self, small_disk, admin_client):
        fill(small_disk, leave=MP3.stat().st_size // 2)

        response = admin_client.post(UPLOAD_URL, {"file": mp3_upload("daily.mp3"), "kind": "audio"})

        assert response.status_code == 507
        assert response["Content-Type"] == "application/json"
        assert "保存領域がいっぱい" in response.json()["error"]
        assert files_under(small_disk, "pending") == []

    def test_saving_an_episode_keeps_what_was_saved_and_leaves_no_empty_file(self, small_disk, admin_client):
        saved = make_episode(number=7)
        saved_bytes = default_storage.open(saved.audio_file.name).read()
        filler = fill(small_disk, leave=MP3.stat().st_size // 2)
        before = files_under(small_disk, "audio")

        data = episode_form(make_show(), number=100, audio_file=mp3_upload("new.mp3"))
        response = admin_client.post("/admin/catalogue/episode/add/", data)

        assert response.status_code == 200  # the form again, not a redirect that loses it
        assert "保存領域がいっぱい" in response.text
        assert not Episode.objects.filter(number=100).exists()
        assert files_under(small_disk, "audio") == before  # no partial, no 0-byte orphan
        assert default_storage.open(saved.audio_file.name).read() == saved_bytes

        filler.unlink()  # room again: the same form saves
        data = episode_form(make_show(), number=100, audio_file=mp3_upload("new.mp3"))
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        assert Episode.objects.get(number=100).audio_size == MP3.stat().st_size


class TestFullMediaDiskInTheEpisodeForm:
    """Finding 12's form side: the editor's typing survives a full disk, and nothing is half-saved."""

    ADD_URL = "/admin/catalogue/episode/add/"

    def test_the_form_comes_back_as_typed_with_a_clear_message(self, small_disk, admin_client):
        fill(small_disk, leave=MP3.stat().st_size // 2)
        typed = {
            "description": "今日は<特別>な回なのだ",
            "notes": "編集メモ: 三本目は差し替え",
            "articles-0-title": "差し替えた二番目の記事",
            "articles-1-summary": "一番目の要約を書き直した",
        }
        data = episode_form(make_show(), number=100, audio_file=mp3_upload("new.mp3"), **typed)

        response = admin_client.post(self.ADD_URL, data)

        assert response.status_code == 200
        form = response.context["adminform"].form
        assert "保存領域がいっぱい" in " ".join(form.non_field_errors())
        assert "もう一度選んでください" in response.text  # the file sent with the form could not be kept
        for name, value in typed.items():
            assert escape(value) in response.text, name
        assert not Episode.objects.exists()
        assert files_under(small_disk, "audio") == []

    def test_a_file_uploaded_beforehand_stays_attached_and_the_next_save_uses_it(self, small_disk, admin_client):
        reference = admin_client.post(UPLOAD_URL, {"file": mp3_upload("daily.mp3"), "kind": "audio"}).json()
        pending = files_under(small_disk, "pending")
        filler = fill(small_disk, leave=MP3.stat().st_size // 2)  # no room for the stored copy in audio/
        data = episode_form(make_show(), number=100, audio_file_pending=reference["reference"])

        response = admin_client.post(self.ADD_URL, data)

        assert response.status_code == 200
        assert "保存領域がいっぱい" in response.text
        assert "もう一度選んでください" not in response.text
        assert reference["reference"] in response.text  # still attached
        assert files_under(small_disk, "pending") == pending
        assert files_under(small_disk, "audio") == []

        filler.unlink()
        assert admin_client.post(self.ADD_URL, data).status_code == 302
        assert Episode.objects.get(number=100).audio_size == MP3.stat().st_size

    def test_an_mp3_stored_before_the_image_failed_is_removed(self, small_disk, admin_client):
        picture = noise_png(160)
        assert len(picture) > 64 * 1024
        fill(small_disk, leave=MP3.stat().st_size + 32 * 1024)  # room for the MP3, not for the image
        image = SimpleUploadedFile("cover.png", picture, content_type="image/png")
        data = episode_form(make_show(), number=100, audio_file=mp3_upload("new.mp3"), image=image)

        response = admin_client.post(self.ADD_URL, data)

        assert response.status_code == 200
        assert "保存領域がいっぱい" in response.text
        assert not Episode.objects.exists()
        assert files_under(small_disk, "audio") == []
        assert files_under(small_disk, "images") == []


def noise_png(size: int) -> bytes:
    """A PNG that does not compress: random pixels."""
    image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class TestFullMediaDiskThroughTheApi:
    """The pipeline's POST on a full disk: a JSON 507 it can act on, nothing half-written, then a retry that works."""

    def test_a_publish_gets_a_japanese_507_and_stores_nothing(self, small_disk, client):
        make_show(name="毎朝の番組", slug="maiasa")
        _, secret = ApiToken.issue(name="pipeline", all_shows=True)
        filler = fill(small_disk, leave=MP3.stat().st_size // 2)
        headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "daily-600"}

        response = client.post("/api/v1/episodes", self.files(), headers=headers)

        assert response.status_code == 507
        body = response.json()
        assert body["code"] == "storage_full"
        assert "保存領域がいっぱい" in body["message_ja"]
        assert response["Retry-After"]
        assert not Episode.objects.exists()
        assert files_under(small_disk, "") == [("filler", filler.stat().st_size)]
        assert not IdempotencyRecord.objects.filter(completed_at__isnull=False).exists()

        filler.unlink()  # room again: the same request, same key, publishes
        retry = client.post("/api/v1/episodes", self.files(), headers=headers)
        assert retry.status_code == 201, retry.content
        assert Episode.objects.get().audio_size == MP3.stat().st_size

    @staticmethod
    def files() -> dict:
        return {
            "post": SimpleUploadedFile("2026-01-05-600.md", POST.encode(), content_type="text/markdown"),
            "audio": SimpleUploadedFile("毎朝の番組_podcast_20260105.mp3", MP3.read_bytes(), content_type="audio/mpeg"),
        }
