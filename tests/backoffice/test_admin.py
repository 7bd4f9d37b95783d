"""The editors' admin: Japanese, pre-filled, probing audio, refusing bad files."""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from episodes.catalogue.models import Episode, Show
from tests.audio_server import AudioServer, long_mp3, sample_files
from tests.factories import MP3, episode_form, image_upload, make_actor, make_episode, make_show, mp3_upload
from tests.worker import queued_funcs, run_queued

pytestmark = pytest.mark.django_db


class TestJapanese:
    @pytest.mark.parametrize(
        "path",
        [
            "/admin/",
            "/admin/catalogue/episode/",
            "/admin/catalogue/episode/add/",
            "/admin/catalogue/show/add/",
            "/admin/catalogue/actor/add/",
        ],
    )
    def test_pages_render_in_japanese(self, admin_client, path):
        make_episode()
        response = admin_client.get(path)
        assert response.status_code == 200
        assert 'lang="ja"' in response.text
        assert any(word in response.text for word in ("エピソード", "番組", "出演者"))

    def test_login_page_in_japanese(self, client):
        response = client.get("/admin/login/")
        assert "ユーザー名" in response.text
        assert "パスワード" in response.text

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get("/admin/catalogue/episode/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestAddEpisode:
    def test_new_form_is_prefilled(self, admin_client):
        show = make_show(name="私立テスト放送部")
        make_episode(show=show, number=549)
        form = admin_client.get("/admin/catalogue/episode/add/").context["adminform"].form
        assert form.initial["number"] == 550
        assert form.initial["show"] == show.pk
        assert form.initial["title"] == f"私立テスト放送部 podcast {timezone.localdate():%Y%m%d}"

    def test_publish_with_upload_articles_and_default_cast(self, admin_client):
        host = make_actor(name="ずんだもん")
        show = make_show()
        show.hosts.set([host])
        response = admin_client.post(
            "/admin/catalogue/episode/add/", episode_form(show, audio_file=mp3_upload("今日の回.mp3"))
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        episode = Episode.objects.get(number=100)
        assert episode.audio_size == MP3.stat().st_size
        assert episode.audio_duration > 1
        assert episode.audio_file.name.endswith("今日の回.mp3")
        assert episode.youtube_id == "0aR63e1eKtA"
        assert [a.title for a in episode.articles.all()] == ["一番目の記事", "二番目の記事"]
        first = episode.articles.first()
        assert first.start_seconds == 12.5
        assert first.citation_url == "https://source.example.com/a"
        assert "<script" not in first.summary_html
        assert episode.actors == [host]
        assert admin_client.get("/episode/100").status_code == 200

    def test_article_start_times_typed_as_mm_ss(self, admin_client):
        show = make_show()
        data = episode_form(show, audio_file=mp3_upload(), **{"articles-0-start_seconds": "1:05"})
        assert admin_client.post("/admin/catalogue/episode/add/", data).status_code == 302
        episode = Episode.objects.get(number=100)
        assert episode.articles.get(title="二番目の記事").start_seconds == 65
        page = admin_client.get(f"/admin/catalogue/episode/{episode.pk}/change/").text
        assert 'value="1:05"' in page

    def test_bad_start_time_explained(self, admin_client):
        data = episode_form(make_show(), audio_file=mp3_upload(), **{"articles-0-start_seconds": "1分5秒"})
        response = admin_client.post("/admin/catalogue/episode/add/", data)
        assert "1:05 や 1:02:03 の形" in response.text
        assert not Episode.objects.exists()

    def test_text_renamed_mp3_refused_with_message_and_input_kept(self, admin_client):
        show = make_show()
        fake = SimpleUploadedFile("fake.mp3", b"definitely not audio\n" * 100, content_type="audio/mpeg")
        response = admin_client.post("/admin/catalogue/episode/add/", episode_form(show, audio_file=fake))
        assert response.status_code == 200
        assert "MP3 または M4A の音声として読み取れない" in response.text
        assert "一番目の記事" in response.text  # what was typed is still there
        assert not Episode.objects.exists()

    def test_publishing_without_audio_is_explained(self, admin_client):
        response = admin_client.post("/admin/catalogue/episode/add/", episode_form(make_show()))
        assert "公開するには音声ファイルか外部の音声URLが必要です" in response.text
        assert not Episode.objects.exists()

    def test_svg_cover_refused(self, admin_client):
        svg = SimpleUploadedFile(
            "cover.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
        )
        response = admin_client.post(
            "/admin/catalogue/episode/add/", episode_form(make_show(), audio_file=mp3_upload(), image=svg)
        )
        assert response.status_code == 200
        assert not Episode.objects.exists()

    def test_change_page_shows_read_metadata(self, admin_client, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        episode = make_episode()
        body = admin_client.get(f"/admin/catalogue/episode/{episode.pk}/change/").text
        assert f"{episode.audio_size:,} バイト" in body
        assert "audio/mpeg" in body
        assert episode.guid in body


class TestExternalAudio:
    """The editor's save never waits on the audio's host: the worker measures the URL after the commit."""

    def test_external_url_is_probed_by_the_worker_after_the_save(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        with AudioServer(sample_files()) as server:
            url = server.url("/long.mp3")
            with django_capture_on_commit_callbacks(execute=True):
                response = admin_client.post("/admin/catalogue/episode/add/", episode_form(make_show(), audio_url=url))
            assert response.status_code == 302
            episode = Episode.objects.get(number=100)
            assert episode.audio_size is None  # not read during the request
            assert queued_funcs() == ["episodes.catalogue.probes.probe_episode_audio"]
            [task] = run_queued()
        assert task["success"]
        episode.refresh_from_db()
        assert episode.audio_size == len(long_mp3())
        assert episode.audio_duration > 500
        assert not episode.feed_problem

    def test_a_url_that_is_not_audio_is_saved_and_the_reason_shown(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        with AudioServer(sample_files()) as server:
            with django_capture_on_commit_callbacks(execute=True):
                response = admin_client.post(
                    "/admin/catalogue/episode/add/", episode_form(make_show(), audio_url=server.url("/missing.mp3"))
                )
            assert response.status_code == 302
            [task] = run_queued()
        assert not task["success"]
        episode = Episode.objects.get(number=100)
        assert episode.audio_size is None and episode.feed_problem and episode.audio_problem
        page = admin_client.get(f"/admin/catalogue/episode/{episode.pk}/change/").text
        assert f"読み取れませんでした: {episode.audio_problem}" in page

    def test_an_unreachable_host_does_not_hold_the_save(self, admin_client, django_capture_on_commit_callbacks):
        with AudioServer(sample_files(), hang={"/tone.mp3"}) as server:
            started = time.perf_counter()
            with django_capture_on_commit_callbacks(execute=True):
                response = admin_client.post(
                    "/admin/catalogue/episode/add/",
                    episode_form(make_show(), audio_url=server.url("/tone.mp3")),
                    follow=True,
                )
            assert time.perf_counter() - started < 1.0
        assert "バックグラウンドで読み取ります" in response.text
        assert queued_funcs() == ["episodes.catalogue.probes.probe_episode_audio"]


class TestChangeList:
    def test_columns_filters_and_search(self, admin_client):
        actor = make_actor(name="春日部つむぎ")
        episode = make_episode(title="量子の回", cast=[actor], articles=1)
        make_episode(title="別の回")
        body = admin_client.get("/admin/catalogue/episode/").text
        for label in ("番号", "番組", "公開日時", "公開状況", "長さ", "0:02"):
            assert label in body
        found = admin_client.get("/admin/catalogue/episode/", {"q": "記事0"}).context["cl"].result_list
        assert list(found) == [episode]
        by_actor = admin_client.get("/admin/catalogue/episode/", {"cast__id__exact": actor.pk}).context["cl"]
        assert list(by_actor.result_list) == [episode]

    def test_scheduled_filter(self, admin_client):
        later = make_episode(published_at=timezone.now() + timedelta(days=2))
        make_episode()
        cl = admin_client.get("/admin/catalogue/episode/", {"publication": "scheduled"}).context["cl"]
        assert list(cl.result_list) == [later]

    def test_publish_and_unpublish_actions(self, admin_client):
        with_audio = make_episode(status=Episode.Status.DRAFT)
        without_audio = make_episode(status=Episode.Status.DRAFT, audio=False)
        response = admin_client.post(
            "/admin/catalogue/episode/",
            {"action": "publish", "_selected_action": [with_audio.pk, without_audio.pk]},
            follow=True,
        )
        assert "1 件を公開しました" in response.text
        assert "音声のない 1 件は公開できませんでした" in response.text
        with_audio.refresh_from_db()
        without_audio.refresh_from_db()
        assert with_audio.status == "published"
        assert without_audio.status == "draft"
        admin_client.post("/admin/catalogue/episode/", {"action": "unpublish", "_selected_action": [with_audio.pk]})
        with_audio.refresh_from_db()
        assert with_audio.status == "draft"


class TestShowAndActorAdmin:
    def test_show_artwork_checked(self, admin_client):
        data = {
            "name": "新番組",
            "slug": "new-show",
            "description": "説明",
            "long_description": "",
            "author": "放送局",
            "owner_name": "",
            "owner_email": "owner@example.com",
            "copyright": "",
            "website_url": "",
            "language": "ja",
            "category": "Technology",
            "update_frequency": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        }
        not_image = SimpleUploadedFile("a.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
        refused = admin_client.post("/admin/catalogue/show/add/", {**data, "artwork": not_image})
        assert refused.status_code == 200 and not Show.objects.filter(slug="new-show").exists()
        # Small art is taken; the feed gets a conforming rendition, shown beside it.
        small = admin_client.post("/admin/catalogue/show/add/", {**data, "artwork": image_upload("a.png")})
        assert small.status_code == 302
        show = Show.objects.get(slug="new-show")
        assert show.feed_artwork
        page = admin_client.get(f"/admin/catalogue/show/{show.pk}/change/").text
        assert show.feed_artwork.url in page

    def test_actor_autocomplete_for_cast_picker(self, admin_client):
        make_actor(name="ずんだもん")
        response = admin_client.get(
            "/admin/autocomplete/",
            {"term": "ずんだ", "app_label": "catalogue", "model_name": "appearance", "field_name": "actor"},
        )
        assert [r["text"] for r in response.json()["results"]] == ["ずんだもん"]


class TestPermissions:
    def test_view_only_staff_cannot_run_write_actions(self, client, django_user_model):
        from django.contrib.auth.models import Permission

        viewer = django_user_model.objects.create_user("viewer", password="a-long-password-1", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_episode"))
        client.force_login(viewer)
        episode = make_episode()
        response = client.post("/admin/catalogue/episode/", {"action": "unpublish", "_selected_action": [episode.pk]})
        episode.refresh_from_db()
        assert episode.status == "published"
        assert response.status_code in (200, 302, 403)
        assert "unpublish" not in client.get("/admin/catalogue/episode/").text


class TestDeletingAnEpisodeWithDownloadCounts:
    """A superuser got 403 (no permission to delete ダウンロード数（日別）): issue 24, finding 9."""

    @pytest.fixture
    def counted(self):
        from datetime import date

        from episodes.analytics.models import DailyDownloads

        episode = make_episode()
        DailyDownloads.objects.create(
            day=date(2026, 1, 5), episode=episode, app="Apple Podcasts", device="iPhone", downloads=3
        )
        return episode

    def test_a_superuser_deletes_it_and_its_counts_go_with_it(self, admin_client, counted):
        from episodes.analytics.models import DailyDownloads
        from episodes.catalogue.models import Episode

        confirm = admin_client.get(f"/admin/catalogue/episode/{counted.pk}/delete/")
        assert confirm.status_code == 200 and "ダウンロード数（日別）: 1" in confirm.text
        response = admin_client.post(f"/admin/catalogue/episode/{counted.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not Episode.objects.filter(pk=counted.pk).exists() and not DailyDownloads.objects.exists()

    def test_so_does_an_editor_who_may_delete_episodes_by_the_bulk_action(self, client, django_user_model, counted):
        from django.contrib.auth.models import Permission

        from episodes.catalogue.models import Episode

        editor = django_user_model.objects.create_user("editor", password="a-long-password-1", is_staff=True)
        for codename in ("view_episode", "delete_episode"):
            editor.user_permissions.add(Permission.objects.get(codename=codename))
        client.force_login(editor)
        data = {"action": "delete_selected", "_selected_action": [counted.pk], "post": "yes"}
        response = client.post("/admin/catalogue/episode/", data)
        assert response.status_code == 302 and not Episode.objects.filter(pk=counted.pk).exists()

    def test_without_delete_permission_on_episodes_nothing_goes(self, client, django_user_model, counted):
        from django.contrib.auth.models import Permission

        viewer = django_user_model.objects.create_user("viewer", password="a-long-password-1", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_episode"))
        client.force_login(viewer)
        assert client.post(f"/admin/catalogue/episode/{counted.pk}/delete/", {"post": "yes"}).status_code == 403
        assert type(counted).objects.filter(pk=counted.pk).exists()
