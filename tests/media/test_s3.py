"""On S3, what is not public yet is not readable from the bucket by URL (episodes/media/s3.py, catalogue/stored_files.py).

Issue 24, finding 12: pending uploads and a draft's audio, image and
thumbnail were public by URL. Against moto's S3 server (tests/s3_server.py),
in a bucket that honours ACLs (`AWS_DEFAULT_ACL=public-read`, no public
policy): such objects answer 403 to a plain GET, staff get a short-lived
signed URL, and the objects open when the episode becomes public.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from episodes.catalogue.models import Episode
from tests.factories import MP3, image_bytes, make_show
from tests.media import test_storage_s3
from tests.media.test_storage_s3 import EPISODE_AUDIO, S3Requests, admin_episode_post, fetch, upload
from tests.worker import run_queued

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # an S3 server, like test_storage_s3.py
# The bucket and server fixtures of the object-storage tests.
s3_server, media = test_storage_s3.s3_server, test_storage_s3.media
ADD_URL = "/admin/catalogue/episode/add/"


@pytest.fixture
def acl_bucket(media):
    """No public policy: an object is readable by URL only if its own ACL says so."""
    media.set_public_read(False)
    media.configure(AWS_DEFAULT_ACL="public-read")
    return media


def save_episode(admin_client, django_capture_on_commit_callbacks, **fields) -> Episode:
    data = admin_episode_post(
        make_show(),
        audio_file=upload(EPISODE_AUDIO, MP3.read_bytes(), "audio/mpeg"),
        image=upload("表紙.png", image_bytes(800, 600), "image/png"),
        **fields,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302, response.content
    run_queued()  # the renditions, made by the worker
    return Episode.objects.get(number=100)


def object_statuses(media, episode: Episode) -> dict[str, int]:
    """The plain-URL answer of every object of the episode (audio, image, renditions, thumbnail)."""
    from episodes.catalogue.stored_files import stored_names

    names = stored_names(episode)
    assert len(names) > 3, names  # the renditions were made
    return {name: fetch(media.url(name))[0] for name in names}


class TestPrivateUntilPublic:
    def test_a_pending_upload_is_not_readable_from_the_bucket(self, admin_client, acl_bucket):
        response = admin_client.post(
            "/admin/catalogue/episode/pending-upload/",
            {"file": upload("daily.mp3", MP3.read_bytes(), "audio/mpeg")} | {"kind": "audio"},
        )
        assert response.status_code == 200, response.content
        [key] = [key for key in acl_bucket.object_keys() if key.startswith("pending/")]
        assert fetch(acl_bucket.url(key))[0] == 403

    def test_a_drafts_objects_are_private_and_staff_get_short_signed_urls(
        self, admin_client, acl_bucket, django_capture_on_commit_callbacks, settings
    ):
        episode = save_episode(admin_client, django_capture_on_commit_callbacks, status="draft")

        assert set(object_statuses(acl_bucket, episode).values()) == {403}
        signed = episode.audio_src
        assert int(parse_qs(urlsplit(signed).query)["X-Amz-Expires"][0]) == settings.AWS_PRIVATE_URL_SECONDS == 900
        status, _, body = fetch(signed)
        assert (status, body) == (200, MP3.read_bytes())

    def test_publishing_opens_the_objects_with_plain_urls(
        self, admin_client, client, acl_bucket, django_capture_on_commit_callbacks
    ):
        episode = save_episode(admin_client, django_capture_on_commit_callbacks, status="draft")
        episode.status = Episode.Status.PUBLISHED
        with django_capture_on_commit_callbacks(execute=True):
            episode.save()
        episode.refresh_from_db()

        assert set(object_statuses(acl_bucket, episode).values()) == {200}
        assert episode.files_public
        assert episode.audio_src == acl_bucket.url(episode.audio_file.name)  # plain, as fast as before
        with S3Requests() as requests:
            assert client.get("/episode/100").status_code == 200
            assert client.get("/feed.xml").status_code == 200
        assert requests.methods == []

    def test_a_scheduled_episode_opens_when_due_and_an_unpublished_one_closes(
        self, admin_client, acl_bucket, django_capture_on_commit_callbacks
    ):
        later = timezone.localtime() + timedelta(days=1)
        episode = save_episode(
            admin_client,
            django_capture_on_commit_callbacks,
            published_at_0=later.strftime("%Y-%m-%d"),
            published_at_1=later.strftime("%H:%M:%S"),
        )
        assert episode.is_scheduled
        assert set(object_statuses(acl_bucket, episode).values()) == {403}

        # Its time comes (no save): the minute job opens it.
        Episode.objects.filter(pk=episode.pk).update(published_at=timezone.now() - timedelta(minutes=1))
        call_command("sync_media_visibility", verbosity=0)
        assert set(object_statuses(acl_bucket, episode).values()) == {200}

        # The admin's unpublish action updates rows without a save: the job closes it.
        Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
        call_command("sync_media_visibility", verbosity=0)
        assert set(object_statuses(acl_bucket, episode).values()) == {403}
        assert not Episode.objects.get(pk=episode.pk).files_public
