"""A deleted episode's files leave storage after the commit (episodes/catalogue/stored_files.py; issue 24, finding 12)."""

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from episodes.catalogue.models import Episode
from tests.factories import image_upload, make_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    episode = make_episode(image=image_upload("cover.png"))
    names = [episode.audio_file.name, episode.image.name, episode.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)
    return episode, names


def gone(names) -> bool:
    return not any(default_storage.exists(name) for name in names)


class TestDeletingAnEpisode:
    def test_its_files_and_their_folders_go_after_the_commit(self, stored, django_capture_on_commit_callbacks):
        episode, names = stored
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            episode.delete()
        assert not gone(names) and len(callbacks) == 1  # nothing removed before the commit
        callbacks[0]()
        assert gone(names)
        for name in names:
            assert not default_storage.exists(name.rsplit("/", 1)[0])

    def test_a_rolled_back_deletion_loses_nothing(self, stored):
        episode, names = stored
        pk = episode.pk
        with pytest.raises(RuntimeError), transaction.atomic():
            episode.delete()
            raise RuntimeError("the deletion fails")
        assert Episode.objects.filter(pk=pk).exists()
        assert all(default_storage.exists(name) for name in names)

    def test_bulk_deletion_too(self, stored, django_capture_on_commit_callbacks):
        episode, names = stored
        with django_capture_on_commit_callbacks(execute=True):
            Episode.objects.filter(pk=episode.pk).delete()
        assert gone(names)

    def test_by_the_admin_action(self, stored, admin_client, django_capture_on_commit_callbacks):
        episode, names = stored
        data = {"action": "delete_selected", "_selected_action": [episode.pk], "post": "yes"}
        with django_capture_on_commit_callbacks(execute=True):
            assert admin_client.post("/admin/catalogue/episode/", data).status_code == 302
        assert gone(names)

    def test_a_file_another_episode_still_holds_is_kept(self, stored, django_capture_on_commit_callbacks):
        episode, names = stored
        other = make_episode(audio="https://cdn.example.com/other.mp3")
        Episode.objects.filter(pk=other.pk).update(audio_url="", audio_file=episode.audio_file.name)
        with django_capture_on_commit_callbacks(execute=True):
            episode.delete()
        assert default_storage.exists(names[0]) and gone(names[1:])
