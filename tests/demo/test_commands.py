"""`load_demo` and `ensure_admin`, the steps `make run` takes, and `refresh_feed_artwork`."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from episodes.catalogue.models import Actor, Episode, Show, Station
from tests.factories import image_bytes, make_episode, make_show

pytestmark = pytest.mark.django_db


class TestLoadDemo:
    def test_loads_shows_cast_and_playable_episodes(self, client, capsys):
        call_command("load_demo")
        assert "新規 5、更新 0、変更なし 0、スキップ 0" in capsys.readouterr().out
        assert Show.objects.count() >= 2
        assert Actor.objects.count() >= 3
        assert Episode.objects.published().count() >= 4
        for episode in Episode.objects.all():
            assert episode.audio_size > 0 and episode.audio_duration > 1
            assert episode.articles.exists()
            assert episode.actors
        for show in Show.objects.all():
            assert show.artwork  # taken from the episodes' images by the importer
            show.full_clean()  # and it meets the directory rules
        # The station has artwork of its own (drawn for the demo), conforming, in /feed.xml.
        station = Station.load()
        assert station.artwork.name.endswith("/station-demo.png")
        assert station.artwork.name not in {show.artwork.name for show in Show.objects.all()}
        assert not station.feed_artwork  # 1400 px square RGB already
        assert station.artwork.url in client.get("/feed.xml").text
        assert Episode.objects.get(number=2).has_chapters
        assert Episode.objects.get(number=2).transcript_cues

    def test_scheduled_demo_episode_stays_hidden(self, client):
        call_command("load_demo")
        scheduled = Episode.objects.scheduled().get()
        assert scheduled.title not in client.get("/").text
        assert client.get(scheduled.get_absolute_url()).status_code == 404

    def test_never_mixes_into_real_data(self, capsys):
        make_episode()
        call_command("load_demo")
        assert Episode.objects.count() == 1
        assert "入れませんでした" in capsys.readouterr().out


class TestEnsureAdmin:
    def test_generates_and_prints_a_password_once(self, client, capsys, monkeypatch):
        for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL"):
            monkeypatch.delenv(name, raising=False)
        call_command("ensure_admin")
        out = capsys.readouterr().out
        password = out.split("パスワード（一度だけ表示します）: ")[1].split()[0]
        assert client.login(username="admin", password=password)
        call_command("ensure_admin")
        assert "パスワード" not in capsys.readouterr().out
        assert get_user_model().objects.count() == 1

    def test_uses_djangos_own_variables(self, client, monkeypatch, capsys):
        monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor")
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password-42")
        monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "editor@example.com")
        call_command("ensure_admin")
        assert "a-long-test-password-42" not in capsys.readouterr().out
        user = get_user_model().objects.get(username="editor")
        assert user.is_superuser and user.email == "editor@example.com"
        assert client.login(username="editor", password="a-long-test-password-42")

    @pytest.mark.parametrize("password", ["password", "12345678901", "short"])
    def test_a_chosen_password_must_pass_djangos_validators(self, monkeypatch, password):
        """Issue 12, finding 15: DJANGO_SUPERUSER_PASSWORD skipped the password validators."""
        monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor")
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
        monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "editor-editor@example.com")

        with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
            call_command("ensure_admin")

        assert not get_user_model().objects.exists()

    def test_never_changes_an_existing_account(self, monkeypatch):
        get_user_model().objects.create_superuser("editor", "", "original-password-123")
        monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor")
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "other-password-456")
        call_command("ensure_admin")
        assert get_user_model().objects.get(username="editor").check_password("original-password-123")


class TestRefreshFeedArtwork:
    def test_makes_the_renditions_rows_lack(self, capsys):
        name = default_storage.save("images/show/old/art.png", ContentFile(image_bytes(720, 720)))
        show = make_show()
        Show.objects.filter(pk=show.pk).update(artwork=name)  # as stored before renditions existed
        call_command("refresh_feed_artwork", "--dry-run")
        assert not Show.objects.get(pk=show.pk).feed_artwork
        call_command("refresh_feed_artwork")
        assert Show.objects.get(pk=show.pk).feed_artwork.name == "images/show/old/art-feed.jpg"
        assert "1 件" in capsys.readouterr().out
        call_command("refresh_feed_artwork")
        assert "0 件" in capsys.readouterr().out
