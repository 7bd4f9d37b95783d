"""Who sees what: unannounced shows and voices, drafts, and their audio (issue 12, findings 10 and 11).

`Show.objects.public()`, `Actor.objects.public()` and `Episode.objects.published()`
decide; every public page, feed, sitemap and form uses them.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from episodes.catalogue.models import Actor, Episode, Show
from tests.factories import make_actor, make_episode, make_show, mp3_upload

pytestmark = pytest.mark.django_db

# Every public place a show's or a voice's name could appear.
LISTS = ["/", "/shows/", "/archive/", "/search/?q=podcast", "/letters/", "/sitemap.xml", "/feed.xml"]


@pytest.fixture
def site():
    """A public show and voice, and a new show and voice that only drafts (and a scheduled episode) know."""
    voice = make_actor(name="ずんだもん", slug="zundamon")
    show = make_show(name="公開番組", slug="public-show")
    show.hosts.add(voice)
    make_episode(show, cast=[voice], number=1)

    secret_voice = make_actor(name="ひみつの声", slug="secret-voice")
    secret_host = make_actor(name="ひみつのホスト", slug="secret-host")
    secret_show = make_show(name="ひみつ番組", slug="secret-show")
    secret_show.hosts.add(secret_host)
    make_episode(secret_show, cast=[secret_voice], number=2, status=Episode.Status.DRAFT)
    make_episode(secret_show, cast=[secret_voice], number=3, published_at=timezone.now() + timedelta(days=1))
    return secret_show, secret_voice, secret_host


def staff_client(django_user_model, *codenames) -> Client:
    user = django_user_model.objects.create_user(username="staff-" + "-".join(codenames), is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


class TestUnannouncedShowsAndVoices:
    """Finding 10: a draft for a new show and a new voice put both names on every list."""

    def test_querysets(self, site):
        secret_show, secret_voice, secret_host = site
        assert list(Show.objects.public().values_list("slug", flat=True)) == ["public-show"]
        assert list(Actor.objects.public().values_list("slug", flat=True)) == ["zundamon"]

    @pytest.mark.parametrize("url", LISTS)
    def test_absent_from_every_list(self, client, site, url):
        response = client.get(url)

        assert response.status_code == 200
        text = response.content.decode()
        for name in ("ひみつ番組", "secret-show", "ひみつの声", "secret-voice", "ひみつのホスト", "secret-host"):
            assert name not in text, f"{name} on {url}"

    def test_public_ones_are_listed(self, client, site):
        assert "公開番組" in client.get("/shows/").text
        assert "ずんだもん" in client.get("/archive/").text
        sitemap = client.get("/sitemap.xml").text
        assert "/shows/public-show/" in sitemap
        assert "/actors/zundamon/" in sitemap

    @pytest.mark.parametrize("url", ["/shows/secret-show/", "/shows/secret-show/feed.xml", "/actors/secret-voice/"])
    def test_their_pages_and_feeds_are_404(self, client, site, url):
        assert client.get(url).status_code == 404

    def test_search_filters_ignore_them(self, client, site):
        response = client.get("/search/?q=podcast&show=secret-show&actor=secret-voice")

        assert response.status_code == 200
        assert response.context["selected"]["show"] is None
        assert response.context["selected"]["actor"] is None

    def test_letters_form_refuses_them(self, client, site):
        secret_show = site[0]
        response = client.post("/letters/", {"radio_name": "リスナー", "message": "こんにちは", "show": secret_show.pk})

        assert response.status_code == 200
        assert "番組は一覧の中から選んでください" in response.text

    def test_they_appear_with_their_first_public_episode(self, client, site):
        Episode.objects.filter(number=2).update(status=Episode.Status.PUBLISHED)

        assert client.get("/shows/secret-show/").status_code == 200
        assert client.get("/shows/secret-show/feed.xml").status_code == 200
        assert client.get("/actors/secret-voice/").status_code == 200
        assert client.get("/actors/secret-host/").status_code == 200  # hosts a show that is public now
        assert "ひみつ番組" in client.get("/shows/").text


class TestDraftsForStaff:
    """Finding 11: being staff was enough to read drafts on the public site."""

    def test_staff_without_view_permission_gets_404(self, django_user_model):
        make_episode(number=12, status=Episode.Status.DRAFT, title="下書きの回")

        assert staff_client(django_user_model).get("/episode/12").status_code == 404

    def test_staff_with_view_permission_previews(self, django_user_model):
        make_episode(number=12, status=Episode.Status.DRAFT, title="下書きの回")

        response = staff_client(django_user_model, "view_episode").get("/episode/12")

        assert response.status_code == 200
        assert "下書きの回" in response.text


class TestAudioFiles:
    """Finding 11: drafts' audio was served to anyone holding its URL, deleted episodes' audio forever."""

    def test_drafts_audio_only_for_staff_who_may_view_episodes(self, client, django_user_model):
        draft = make_episode(status=Episode.Status.DRAFT)
        url = draft.audio_file.url

        assert client.get(url).status_code == 404
        assert staff_client(django_user_model).get(url).status_code == 404
        assert staff_client(django_user_model, "view_episode").get(url).status_code == 200

    def test_scheduled_audio_is_hidden_until_due(self, client):
        scheduled = make_episode(published_at=timezone.now() + timedelta(hours=1))

        assert client.get(scheduled.audio_file.url).status_code == 404

    def test_published_audio_is_served(self, client):
        episode = make_episode()

        response = client.get(episode.audio_file.url)

        assert response.status_code == 200
        assert response["Content-Type"] == "audio/mpeg"

    def test_deleted_episodes_audio_is_never_served(self, client):
        episode = make_episode()
        url = episode.audio_file.url
        assert client.get(url).status_code == 200
        episode.delete()

        assert client.get(url).status_code == 404

    def test_replaced_audio_is_not_served(self, client):
        episode = make_episode()
        old_url = episode.audio_file.url
        episode.audio_file = mp3_upload("new.mp3")
        episode.save()

        assert client.get(old_url).status_code == 404
        assert client.get(episode.audio_file.url).status_code == 200

    @pytest.mark.parametrize("spelling", ["./{}", "images/../{}", "audio//{}", "audio/./{}"])
    def test_other_spellings_of_the_path_are_checked_too(self, client, spelling):
        draft = make_episode(status=Episode.Status.DRAFT)
        name = draft.audio_file.name
        path = spelling.format(name if not spelling.startswith("audio/") else name.removeprefix("audio/"))

        assert client.get("/media/" + path).status_code == 404
