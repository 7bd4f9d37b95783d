"""The pending-upload area: files kept from the moment they are chosen until an episode takes them."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from episodes.catalogue.models import Episode
from episodes.media.pending_uploads import (
    SIGNING_SALT,
    PendingUploadError,
    load_pending_upload,
    stale_pending_files,
    store_pending_upload,
)
from tests.factories import MP3, episode_form, image_upload, make_show, mp3_upload

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/catalogue/episode/pending-upload/"


class TestStore:
    def test_audio_is_probed_and_kept_under_pending(self):
        pending = store_pending_upload(mp3_upload("今日の回.mp3"), kind="audio", owner_id=1)
        assert pending.path.startswith("pending/")
        assert pending.name == "今日の回.mp3"
        assert default_storage.size(pending.path) == MP3.stat().st_size
        assert "今日の回.mp3" in pending.label
        assert "audio/mpeg" in pending.label

    def test_audio_named_after_its_content(self):
        pending = store_pending_upload(SimpleUploadedFile("x.html", MP3.read_bytes()), kind="audio", owner_id=1)
        assert pending.name == "x.mp3"

    def test_not_audio_is_refused(self):
        with pytest.raises(PendingUploadError, match="MP3 または M4A"):
            store_pending_upload(SimpleUploadedFile("fake.mp3", b"not audio at all" * 100), kind="audio", owner_id=1)
        assert not default_storage.exists("pending")

    def test_image_is_checked(self):
        pending = store_pending_upload(image_upload("cover.gif", fmt="PNG"), kind="image", owner_id=1)
        assert pending.name == "cover.png"
        with pytest.raises(PendingUploadError, match="画像として読み取れない"):
            store_pending_upload(SimpleUploadedFile("x.png", b"nope"), kind="image", owner_id=1)

    def test_unknown_kind(self):
        with pytest.raises(PendingUploadError):
            store_pending_upload(mp3_upload(), kind="script", owner_id=1)


class TestReference:
    def test_round_trip(self):
        pending = store_pending_upload(mp3_upload(), kind="audio", owner_id=1)
        assert load_pending_upload(pending.reference(), kind="audio") == pending

    def test_forged_or_other_paths_are_refused(self):
        pending = store_pending_upload(mp3_upload(), kind="audio", owner_id=1)
        with pytest.raises(PendingUploadError):
            load_pending_upload(pending.reference() + "x", kind="audio")
        with pytest.raises(PendingUploadError):
            load_pending_upload(pending.reference(), kind="image")
        outside = signing.dumps({"path": "audio/abc/ep.mp3", "kind": "audio", "label": ""}, salt=SIGNING_SALT)
        with pytest.raises(PendingUploadError):
            load_pending_upload(outside, kind="audio")

    def test_gone_file_is_refused(self):
        pending = store_pending_upload(mp3_upload(), kind="audio", owner_id=1)
        pending.discard()
        with pytest.raises(PendingUploadError, match="見つかりません"):
            load_pending_upload(pending.reference(), kind="audio")


def _age(path: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(default_storage.path(path), (then, then))


class TestPurge:
    def test_only_old_files_go(self):
        old = store_pending_upload(mp3_upload("old.mp3"), kind="audio", owner_id=1)
        fresh = store_pending_upload(mp3_upload("fresh.mp3"), kind="audio", owner_id=1)
        _age(old.path, 30)
        assert stale_pending_files(older_than=timedelta(hours=24)) == [old.path]

        out = io.StringIO()
        call_command("purge_pending_uploads", "--dry-run", stdout=out)
        assert "1 件" in out.getvalue()
        assert default_storage.exists(old.path)

        out = io.StringIO()
        call_command("purge_pending_uploads", stdout=out)
        assert "1 件削除しました" in out.getvalue()
        assert not default_storage.exists(old.path)
        assert not os.path.exists(os.path.dirname(default_storage.path(old.path)))
        assert default_storage.exists(fresh.path)

    def test_nothing_pending(self):
        out = io.StringIO()
        call_command("purge_pending_uploads", stdout=out)
        assert "0 件" in out.getvalue()


class TestUploadView:
    def test_staff_upload_answers_a_reference(self, admin_client):
        response = admin_client.post(UPLOAD_URL, {"file": mp3_upload("a.mp3"), "kind": "audio"})
        assert response.status_code == 200
        answer = response.json()
        pending = load_pending_upload(answer["reference"], kind="audio")
        assert pending.name == "a.mp3"
        assert answer["label"] == pending.label

    def test_bad_file_is_a_japanese_400(self, admin_client):
        response = admin_client.post(UPLOAD_URL, {"file": SimpleUploadedFile("a.mp3", b"x" * 500), "kind": "audio"})
        assert response.status_code == 400
        assert "MP3" in response.json()["error"]
        assert admin_client.post(UPLOAD_URL, {"kind": "audio"}).status_code == 400

    def test_anonymous_and_get_are_refused(self, client, admin_client):
        response = client.post(UPLOAD_URL, {"file": mp3_upload(), "kind": "audio"})
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
        assert admin_client.get(UPLOAD_URL).status_code == 405
        assert not default_storage.exists("pending")

    def test_staff_without_episode_permission(self, client, django_user_model):
        user = django_user_model.objects.create_user("viewer", password="pw-12345-xyz", is_staff=True)
        client.force_login(user)
        response = client.post(UPLOAD_URL, {"file": mp3_upload(), "kind": "audio"})
        assert response.status_code == 403


class TestFormKeepsTheUpload:
    def test_validation_error_keeps_the_file_and_the_next_save_uses_it(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        show = make_show()
        reference = admin_client.post(UPLOAD_URL, {"file": mp3_upload("daily.mp3"), "kind": "audio"}).json()[
            "reference"
        ]
        broken = episode_form(show, audio_file_pending=reference, **{"articles-0-url": ""})
        response = admin_client.post("/admin/catalogue/episode/add/", broken)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {}
        page = response.text
        assert f'value="{reference}"' in page
        assert "添付済み（まだ保存されていません）: daily.mp3" in page
        assert "ファイル daily.mp3（まだ保存されていません）" in page
        assert not Episode.objects.exists()

        fixed = episode_form(show, audio_file_pending=reference)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post("/admin/catalogue/episode/add/", fixed)
        assert response.status_code == 302
        episode = Episode.objects.get(number=100)
        assert episode.audio_file.name.startswith("audio/")
        assert episode.audio_file.name.endswith("daily.mp3")
        assert episode.audio_size == MP3.stat().st_size
        assert episode.audio_duration > 1
        # The pending copy is gone once the episode holds the file.
        assert stale_pending_files(older_than=timedelta(0)) == []

    def test_file_sent_with_a_refused_form_is_kept(self, admin_client):
        """Without the script the MP3 comes with the form; an error elsewhere must not lose it either."""
        show = make_show()
        broken = episode_form(show, audio_file=mp3_upload("direct.mp3"), **{"articles-0-url": ""})
        response = admin_client.post("/admin/catalogue/episode/add/", broken)
        assert response.status_code == 200
        reference = response.context["adminform"].form.data["audio_file_pending"]
        assert load_pending_upload(reference, kind="audio").name == "direct.mp3"
        assert f'value="{reference}"' in response.text
        assert "添付済み（まだ保存されていません）: direct.mp3" in response.text

        response = admin_client.post("/admin/catalogue/episode/add/", episode_form(show, audio_file_pending=reference))
        assert response.status_code == 302
        assert Episode.objects.get(number=100).audio_file.name.endswith("direct.mp3")

    def test_unreadable_file_with_a_refused_form_is_not_kept(self, admin_client):
        data = episode_form(make_show(), audio_file=SimpleUploadedFile("x.mp3", b"not audio" * 50))
        response = admin_client.post("/admin/catalogue/episode/add/", data)
        assert "audio_file" in response.context["adminform"].form.errors
        assert not response.context["adminform"].form.data.get("audio_file_pending")
        assert not default_storage.exists("pending")

    def test_file_sent_with_the_form_wins(self, admin_client):
        show = make_show()
        other = store_pending_upload(mp3_upload("pending.mp3"), kind="audio", owner_id=1)
        data = episode_form(show, audio_file=mp3_upload("direct.mp3"), audio_file_pending=other.reference())
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        assert Episode.objects.get(number=100).audio_file.name.endswith("direct.mp3")

    def test_forged_reference_is_a_field_error(self, admin_client):
        show = make_show()
        data = episode_form(show, audio_file=mp3_upload(), audio_file_pending="nonsense")
        response = admin_client.post("/admin/catalogue/episode/add/", data)
        assert response.status_code == 200
        assert "audio_file_pending" in response.context["adminform"].form.errors

    def test_pending_image(self, admin_client):
        show = make_show()
        image = store_pending_upload(image_upload("cover.png"), kind="image", owner_id=1)
        data = episode_form(show, audio_file=mp3_upload(), image_pending=image.reference())
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        episode = Episode.objects.get(number=100)
        assert episode.image.name.endswith("cover.png")
        assert episode.thumbnail


class TestQuota:
    """Each editor's uploads not yet saved are capped (PENDING_UPLOAD_QUOTA_BYTES): issue 24, finding 12."""

    def test_an_upload_past_the_quota_is_a_japanese_413_and_stores_nothing(
        self, admin_client, settings, django_user_model
    ):
        from episodes.media.pending_uploads import pending_bytes

        size = MP3.stat().st_size
        settings.PENDING_UPLOAD_QUOTA_BYTES = size * 2
        for _ in range(2):
            assert admin_client.post(UPLOAD_URL, {"file": mp3_upload(), "kind": "audio"}).status_code == 200
        user_id = django_user_model.objects.get(username="admin").pk
        assert pending_bytes(user_id) == size * 2

        response = admin_client.post(UPLOAD_URL, {"file": mp3_upload(), "kind": "audio"})

        assert response.status_code == 413 and "上限" in response.json()["error"]
        assert pending_bytes(user_id) == size * 2

    def test_the_quota_is_per_editor(self, settings):
        from episodes.media.pending_uploads import PendingUploadError

        settings.PENDING_UPLOAD_QUOTA_BYTES = MP3.stat().st_size
        store_pending_upload(mp3_upload(), kind="audio", owner_id=1)
        with pytest.raises(PendingUploadError):
            store_pending_upload(mp3_upload(), kind="audio", owner_id=1)
        store_pending_upload(mp3_upload(), kind="audio", owner_id=2)

    def test_purge_reaches_files_in_editors_folders_and_older_ones(self):
        legacy = default_storage.save("pending/abc123/old.mp3", mp3_upload())
        owned = store_pending_upload(mp3_upload("mine.mp3"), kind="audio", owner_id=3)
        for path in (legacy, owned.path):
            _age(path, 30)
        assert sorted(stale_pending_files(older_than=timedelta(hours=24))) == sorted([legacy, owned.path])
