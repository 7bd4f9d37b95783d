"""The rules the models carry: guid, audio, images, scheduling, constraints."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from episodes.catalogue.apps import freeze_guids_after_migrate
from episodes.catalogue.links import is_public_origin
from episodes.catalogue.models import (
    Episode,
    LinkedArticle,
    Show,
    SiteRevision,
    Station,
    episode_guid,
    podcast_guid_for,
)
from episodes.catalogue.models import episodes as episode_models
from episodes.media.audio import AudioError
from episodes.media.images import is_image_url, validate_artwork
from tests.factories import (
    MP3,
    image_bytes,
    image_upload,
    m4a_upload,
    make_actor,
    make_episode,
    make_show,
    mp3_upload,
)

pytestmark = pytest.mark.django_db


class TestGuid:
    def test_is_the_permalink_at_creation(self, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        episode = make_episode(number=371)
        assert episode.guid == "https://podcast.example.jp/episode/371"

    def test_survives_edits_renumbering_and_a_new_domain(self, settings):
        settings.SITE_URL = "https://old.example.jp"
        episode = make_episode(number=10)
        settings.SITE_URL = "https://new.example.jp"
        episode.title = "新しいタイトル"
        episode.number = 11
        episode.save()
        episode.refresh_from_db()
        assert episode.guid == "https://old.example.jp/episode/10"
        assert episode.get_absolute_url() == "/episode/11"

    def test_is_unique(self, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        first = make_episode(number=5)
        first.number = 6
        first.save()
        with pytest.raises(IntegrityError), transaction.atomic():
            make_episode(number=5, audio="https://cdn.example.com/a.mp3", guid=first.guid)


class TestGuidWaitsForAPublicOrigin:
    """Issue 12, finding 15: a command run without SITE_URL froze guids at http://127.0.0.1:8000/…"""

    def test_a_development_origin_freezes_nothing(self, settings, client):
        settings.SITE_URL = "http://127.0.0.1:8000"
        episode = make_episode(number=40)
        show = episode.show

        assert episode.guid is None and show.podcast_guid is None
        assert episode.feed_guid == "http://127.0.0.1:8000/episode/40"
        assert show.feed_podcast_guid == podcast_guid_for("http://127.0.0.1:8000/shows/" + show.slug + "/feed.xml")
        assert '<guid isPermaLink="false">http://127.0.0.1:8000/episode/40</guid>' in client.get("/feed.xml").text

    def test_set_from_the_public_origin_once_there_is_one(self, settings):
        settings.SITE_URL = "http://localhost:8000"
        episode = make_episode(number=41)
        settings.SITE_URL = "https://podcast.example.jp"

        freeze_guids_after_migrate(sender=None, using="default")  # every deploy migrates

        episode.refresh_from_db()
        episode.show.refresh_from_db()
        assert episode.guid == "https://podcast.example.jp/episode/41"
        assert episode.show.podcast_guid == podcast_guid_for(
            f"https://podcast.example.jp/shows/{episode.show.slug}/feed.xml"
        )
        settings.SITE_URL = "https://elsewhere.example.jp"
        freeze_guids_after_migrate(sender=None, using="default")
        episode.refresh_from_db()
        assert episode.guid == "https://podcast.example.jp/episode/41"

    def test_the_sql_freeze_and_a_save_spell_the_guid_alike(self, settings):
        # freeze_guids writes guids in SQL; a save writes them in Python: both from episode_guid.
        settings.SITE_URL = "http://127.0.0.1:8000"
        frozen = [make_episode(number=number) for number in (7, 70, 700)]
        settings.SITE_URL = "https://podcast.example.jp"
        assert Episode.objects.freeze_guids() == 3
        saved = make_episode(number=7000)
        for episode in [*frozen, saved]:
            episode.refresh_from_db()
            assert episode.guid == episode_guid("https://podcast.example.jp", episode.number)
        assert saved.guid == "https://podcast.example.jp/episode/7000"

    def test_a_guid_another_episode_holds_is_left_waiting(self, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        renumbered = make_episode(number=43)
        renumbered.number = 44
        renumbered.save()
        settings.SITE_URL = "http://127.0.0.1:8000"
        waiting = make_episode(number=43)
        settings.SITE_URL = "https://podcast.example.jp"

        assert Episode.objects.freeze_guids() == 0  # and no IntegrityError in the migrate that runs it

        waiting.refresh_from_db()
        assert waiting.guid is None

    def test_a_new_episode_on_a_public_origin_gets_its_guid_when_saved(self, settings):
        settings.SITE_URL = "http://127.0.0.1:8000"
        episode = make_episode(number=42)
        settings.SITE_URL = "https://demo.example.com"
        episode.save()
        assert episode.guid == "https://demo.example.com/episode/42"

    @pytest.mark.parametrize(
        "origin, public",
        [
            ("http://127.0.0.1:8000", False),
            ("http://localhost:8000", False),
            ("http://[::1]:8000", False),
            ("http://10.0.0.5", False),
            ("http://zundapod.local", False),
            ("http://app.localhost", False),
            ("http://intranet", False),
            ("https://demo.example.com", True),
            ("https://podcast.example.jp", True),
            ("https://zund-arm-on.com", True),
        ],
    )
    def test_is_public_origin(self, origin, public):
        assert is_public_origin(origin) is public


class TestAudio:
    def test_uploaded_mp3_is_probed_on_save(self):
        episode = make_episode()
        assert episode.audio_size == MP3.stat().st_size
        assert episode.audio_duration > 1
        assert episode.audio_mime_type == "audio/mpeg"
        assert episode.audio_bitrate > 0
        assert default_storage.size(episode.audio_file.name) == episode.audio_size

    def test_uploaded_m4a_is_probed(self):
        episode = make_episode(audio=False, status=Episode.Status.DRAFT, audio_file=m4a_upload())
        assert episode.audio_mime_type == "audio/x-m4a"
        assert episode.audio_duration > 1

    def test_full_clean_refuses_text_renamed_mp3(self):
        episode = Episode(
            show=make_show(),
            number=1,
            title="t",
            audio_file=SimpleUploadedFile("fake.mp3", b"not audio at all\n" * 200),
        )
        with pytest.raises(ValidationError) as excinfo:
            episode.full_clean()
        assert "MP3 または M4A" in excinfo.value.message_dict["audio_file"][0]

    def test_save_refuses_text_renamed_mp3_and_stores_nothing(self, _isolated_media):
        with pytest.raises(AudioError):
            make_episode(audio=False, audio_file=SimpleUploadedFile("fake.mp3", b"hello" * 500))
        assert Episode.objects.count() == 0
        assert not (_isolated_media / "audio").exists()

    def test_probe_runs_once_when_clean_then_save(self, monkeypatch):
        episode = Episode(show=make_show(), number=3, title="t", audio_file=mp3_upload())
        episode.full_clean()
        calls = []
        real_probe = episode_models.audio_metadata
        monkeypatch.setattr(episode_models, "audio_metadata", lambda f: calls.append(f) or real_probe(f))
        episode.save()
        assert calls == []
        assert episode.audio_size == MP3.stat().st_size

    def test_replacing_audio_gives_a_new_url(self):
        episode = make_episode()
        old_url = episode.audio_src
        episode.audio_file = mp3_upload("ep.mp3")
        episode.save()
        episode.audio_file = mp3_upload("ep.mp3")
        episode.save()
        assert episode.audio_src != old_url
        assert episode.audio_src.endswith("/ep.mp3")
        assert episode.audio_size == MP3.stat().st_size

    def test_japanese_file_name_kept(self):
        episode = make_episode(audio=False, audio_file=mp3_upload("私立ずんだもん女学園放送部_podcast_20260821.mp3"))
        assert episode.audio_file.name.endswith("私立ずんだもん女学園放送部_podcast_20260821.mp3")
        assert "%E7%A7%81" in episode.audio_src  # percent-encoded in the URL

    def test_switching_to_external_url_forgets_old_metadata(self):
        episode = make_episode()
        episode.audio_file = ""
        episode.audio_url = "https://cdn.example.com/other.mp3"
        episode.save()
        episode.refresh_from_db()
        assert episode.audio_size is None
        assert episode.audio_duration is None
        assert episode.audio_src == "https://cdn.example.com/other.mp3"

    def test_unrelated_edit_keeps_metadata(self):
        episode = Episode.objects.get(pk=make_episode().pk)
        size = episode.audio_size
        episode.title = "変更"
        episode.save()
        episode.refresh_from_db()
        assert episode.audio_size == size


class TestConstraints:
    def test_database_refuses_file_and_url_together(self):
        episode = make_episode()
        with pytest.raises(IntegrityError), transaction.atomic():
            Episode.objects.filter(pk=episode.pk).update(audio_url="https://cdn.example.com/a.mp3")

    def test_database_refuses_published_without_audio(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_episode(audio=False)

    def test_database_refuses_zero_size(self):
        episode = make_episode()
        with pytest.raises(IntegrityError), transaction.atomic():
            Episode.objects.filter(pk=episode.pk).update(audio_size=0)

    def test_database_refuses_number_zero(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_episode(number=0, audio="https://cdn.example.com/a.mp3")

    def test_clean_explains_missing_audio(self):
        episode = Episode(show=make_show(), number=1, title="t", status=Episode.Status.PUBLISHED)
        with pytest.raises(ValidationError) as excinfo:
            episode.full_clean()
        assert "音声" in excinfo.value.message_dict["audio_file"][0]

    def test_clean_explains_two_audio_sources(self):
        episode = Episode(
            show=make_show(), number=1, title="t", audio_file=mp3_upload(), audio_url="https://cdn.example.com/a.mp3"
        )
        with pytest.raises(ValidationError) as excinfo:
            episode.full_clean()
        assert "audio_url" in excinfo.value.message_dict

    def test_a_draft_needs_no_audio(self):
        episode = make_episode(audio=False, status=Episode.Status.DRAFT)
        episode.full_clean()
        assert episode.audio_src == ""

    def test_duplicate_number_refused(self):
        make_episode(number=42)
        with pytest.raises(IntegrityError), transaction.atomic():
            make_episode(number=42, audio="https://cdn.example.com/a.mp3")


class TestYouTube:
    def test_video_id_extracted_on_save(self):
        episode = make_episode(youtube_url="https://youtu.be/0aR63e1eKtA?t=3")
        assert episode.youtube_id == "0aR63e1eKtA"
        assert episode.youtube_embed_url.startswith("https://www.youtube-nocookie.com/embed/0aR63e1eKtA")

    def test_not_a_video_url_refused_by_clean(self):
        episode = make_episode()
        episode.youtube_url = "https://example.com/watch?v=0aR63e1eKtA"
        with pytest.raises(ValidationError) as excinfo:
            episode.full_clean()
        assert "youtube_url" in excinfo.value.message_dict


class TestPublished:
    def test_scheduled_and_drafts_are_hidden(self):
        live = make_episode()
        scheduled = make_episode(published_at=timezone.now() + timedelta(minutes=5))
        draft = make_episode(status=Episode.Status.DRAFT)
        public = set(Episode.objects.published())
        assert public == {live}
        assert scheduled.is_scheduled and not scheduled.is_public
        assert not draft.is_public
        assert set(Episode.objects.scheduled()) == {scheduled}

    def test_scheduled_appears_when_due_without_any_job(self):
        episode = make_episode(published_at=timezone.now() + timedelta(seconds=1))
        assert not Episode.objects.published().exists()
        Episode.objects.filter(pk=episode.pk).update(published_at=timezone.now() - timedelta(seconds=1))
        assert Episode.objects.published().get() == episode


class TestMarkdownAndArticles:
    def test_summary_rendered_and_sanitised_on_save(self):
        episode = make_episode()
        article = LinkedArticle.objects.create(
            episode=episode,
            title="t",
            url="https://example.com/a",
            summary="**太字** <script>alert(1)</script> <img src=x onerror=alert(1)>",
        )
        assert "<strong>太字</strong>" in article.summary_html
        assert "<script" not in article.summary_html
        assert "onerror" not in article.summary_html

    def test_citation_defaults_to_url(self):
        article = LinkedArticle.objects.create(episode=make_episode(), title="t", url="https://example.com/a")
        assert article.citation_url == "https://example.com/a"

    def test_notes_and_bio_rendered(self):
        episode = make_episode(notes="## 見出し\n\n- 項目")
        actor = make_actor(bio="*紹介*")
        assert "<h2>見出し</h2>" in episode.notes_html
        assert "<em>紹介</em>" in actor.bio_html


class TestImages:
    def test_thumbnail_made_and_extension_follows_content(self):
        episode = make_episode(image=image_upload("cover.jpg", width=1000, height=800))
        assert episode.image.name.endswith("/cover.png")
        with default_storage.open(episode.thumbnail.name) as f, Image.open(f) as thumb:
            assert thumb.format == "JPEG"
            assert max(thumb.size) == 480
        assert episode.thumbnail_src == episode.thumbnail.url

    def test_falls_back_to_show_artwork(self):
        show = make_show()
        show.artwork = image_upload("art.png", width=1400, height=1400)
        show.save()
        episode = make_episode(show=show)
        assert episode.image_src == show.artwork.url
        assert episode.thumbnail_src == show.artwork.url

    def test_only_real_images_are_refused_as_artwork(self):
        show = make_show()
        show.artwork = SimpleUploadedFile("a.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
        with pytest.raises(ValidationError) as excinfo:
            show.full_clean()
        assert "画像として読み取れない" in excinfo.value.message_dict["artwork"][0]

    def test_valid_artwork_passes(self):
        show = make_show()
        show.artwork = SimpleUploadedFile("art.png", image_bytes(1400, 1400, fmt="JPEG"))
        show.full_clean()
        show.save()
        assert show.artwork.name.endswith("/art.jpg")
        # Conforming art is used as it is.
        assert not show.feed_artwork
        assert show.feed_artwork_src == show.artwork.url


def _feed_artwork(channel):
    with default_storage.open(channel.feed_artwork.name) as f, Image.open(f) as image:
        return image.format, image.mode, image.size


class TestFeedArtwork:
    """Art Apple would refuse gets a conforming rendition beside it, made once on save."""

    @pytest.mark.parametrize(
        ("width", "height", "mode", "color", "side"),
        [
            (720, 720, "RGBA", (200, 120, 60, 128), 1400),  # small, with alpha (the real show's case)
            (2000, 1000, "RGB", (10, 20, 30), 2000),  # not square
            (4000, 4000, "RGB", (10, 20, 30), 3000),  # too large
            (1400, 1400, "L", 128, 1400),  # greyscale, not RGB
        ],
    )
    def test_rendition_conforms(self, width, height, mode, color, side):
        show = make_show(artwork=SimpleUploadedFile("art.png", image_bytes(width, height, mode=mode, color=color)))
        assert show.feed_artwork.name == show.artwork.name.rsplit("/", 1)[0] + "/art-feed.jpg"
        assert _feed_artwork(show) == ("JPEG", "RGB", (side, side))
        assert show.feed_artwork_src == show.feed_artwork.url
        assert show.artwork_src == show.artwork.url  # pages keep the original
        with default_storage.open(show.feed_artwork.name) as f:
            validate_artwork(f)

    def test_transparency_goes_onto_white(self):
        show = make_show(artwork=SimpleUploadedFile("a.png", image_bytes(720, 720, mode="RGBA", color=(0, 0, 0, 0))))
        with default_storage.open(show.feed_artwork.name) as f, Image.open(f) as image:
            assert image.getpixel((700, 700)) >= (250, 250, 250)

    def test_made_once_and_replaced_with_the_artwork(self):
        show = make_show(artwork=image_upload("a.png", width=720, height=720))
        first = show.feed_artwork.name
        show = Show.objects.get(pk=show.pk)
        show.description = "変更"
        show.save()
        assert show.feed_artwork.name == first
        show.artwork = image_upload("b.png", width=1400, height=1400)
        show.save()
        assert not show.feed_artwork
        show.artwork = ""
        show.save()
        assert not show.feed_artwork and show.feed_artwork_src == ""

    def test_a_stored_file_set_by_name_with_update_fields(self):
        # As the importer assigns artwork: the name of a file already in storage.
        name = default_storage.save("images/imported/x/art.png", ContentFile(image_bytes(720, 720)))
        station = Station.load()
        station.artwork = name
        station.save(update_fields=["artwork"])
        station = Station.objects.get(pk=station.pk)
        assert station.feed_artwork.name == "images/imported/x/art-feed.jpg"
        assert _feed_artwork(station) == ("JPEG", "RGB", (1400, 1400))


class TestImageFallbacks:
    """No image is a page URL; an episode without one shows its show's artwork, then the station's."""

    def test_page_urls_are_no_image(self):
        for url in ("https://old.example.jp/", "https://old.example.jp", "https://old.example.jp/episode/3/", " "):
            assert not is_image_url(url)
        assert is_image_url("https://old.example.jp/images/a.jpg")

    def test_clean_and_save_drop_a_site_root(self):
        episode = make_episode(image_url="https://old.example.jp/", thumbnail_url="https://old.example.jp/")
        episode.refresh_from_db()
        assert (episode.image_url, episode.thumbnail_url) == ("", "")
        episode.image_url = "https://old.example.jp/"
        episode.full_clean()  # the importer and the admin clean first: a page URL is no error, just no image
        assert episode.image_url == ""
        actor = make_actor(image_url="https://old.example.jp/")
        assert actor.image_url == "" and actor.image_src == ""
        actor.image_url = "https://old.example.jp/"
        actor.full_clean()
        assert actor.image_url == ""

    def test_show_then_station(self):
        station = Station.load()
        station.artwork = image_upload("station.png", width=720, height=720)
        station.save()
        bare = make_show()
        episode = make_episode(show=bare)
        Episode.objects.filter(pk=episode.pk).update(image_url="https://old.example.jp/")  # written before the rule
        episode = Episode.objects.get(pk=episode.pk)
        assert episode.image_src == episode.thumbnail_src == station.artwork.url
        assert episode.feed_image_src == station.feed_artwork.url
        bare.artwork = image_upload("show.png", width=1400, height=1400)
        bare.save()
        episode = Episode.objects.get(pk=episode.pk)
        assert episode.image_src == episode.feed_image_src == bare.artwork.url
        own = make_episode(show=bare, image_url="https://cdn.example.jp/cover.jpg")
        assert own.image_src == own.feed_image_src == "https://cdn.example.jp/cover.jpg"

    def test_nothing_anywhere_is_empty(self):
        assert make_episode().image_src == ""


class TestCredits:
    def test_cast_order_and_unique_credit_lines(self):
        zundamon = make_actor(name="ずんだもん", credit="VOICEVOX:ずんだもん")
        ojou = make_actor(name="お嬢様ずんだもん", credit="VOICEVOX:ずんだもん")
        tsumugi = make_actor(name="春日部つむぎ", credit="VOICEVOX:春日部つむぎ")
        episode = make_episode(cast=[tsumugi, zundamon, ojou])
        assert [a.name for a in episode.actors] == ["春日部つむぎ", "ずんだもん", "お嬢様ずんだもん"]
        assert episode.credits == ["VOICEVOX:春日部つむぎ", "VOICEVOX:ずんだもん"]


class TestPodcastGuid:
    def test_matches_the_namespace_spec_example(self):
        assert str(podcast_guid_for("https://podnews.net/rss")) == "9b024349-ccf0-5f69-a609-6b82873eab3c"
        assert podcast_guid_for("http://podnews.net/rss/") == podcast_guid_for("https://podnews.net/rss")

    def test_stored_once_and_kept_across_domain_and_slug_changes(self, settings):
        settings.SITE_URL = "https://old.example.jp"
        show = make_show(slug="daily")
        guid = show.podcast_guid
        assert guid == podcast_guid_for("https://old.example.jp/shows/daily/feed.xml")
        settings.SITE_URL = "https://new.example.jp"
        show.slug = "renamed"
        show.save()
        show.refresh_from_db()
        assert show.podcast_guid == guid

    def test_station_feed_guid(self, settings):
        settings.SITE_URL = "https://zundapod.example.jp"
        station = Station.load()
        assert station.podcast_guid == podcast_guid_for("zundapod.example.jp/feed.xml")
        assert Station.load().pk == station.pk


class TestSiteRevision:
    def test_moves_on_every_kind_of_write(self):
        def moved(action):
            before = SiteRevision.current()[0]
            action()
            return SiteRevision.current()[0] > before

        actor = make_actor()
        show = make_show()
        episode = make_episode(show=show)
        assert moved(lambda: episode.save())
        assert moved(lambda: Episode.objects.filter(pk=episode.pk).update(title="一括"))
        assert moved(lambda: show.hosts.add(actor))
        assert moved(lambda: show.hosts.clear())
        assert moved(lambda: LinkedArticle.objects.create(episode=episode, title="t", url="https://e.com"))
        assert moved(lambda: LinkedArticle.objects.filter(episode=episode).delete())
        assert moved(lambda: actor.save())
        assert moved(lambda: episode.delete())

    def test_reads_do_not_move_it(self):
        make_episode()
        before = SiteRevision.current()
        list(Episode.objects.published())
        assert SiteRevision.current() == before


class TestAudioNames:
    def test_a_file_named_html_is_stored_as_what_it_is(self):
        polyglot = SimpleUploadedFile("evil.html", b"<html><script>alert(1)</script></html>" + MP3.read_bytes())
        episode = make_episode(audio=False, audio_file=polyglot)
        assert episode.audio_file.name.endswith("/evil.mp3")
        assert episode.audio_mime_type == "audio/mpeg"

    def test_m4a_keeps_its_own_extension(self):
        episode = make_episode(audio=False, audio_file=m4a_upload("episode.mp3"))
        assert episode.audio_file.name.endswith("/episode.m4a")


class TestThumbnailKept:
    def test_an_imported_thumbnail_stays_when_the_image_is_a_url(self):
        stored = default_storage.save("images/imported/abc/thumb.jpg", image_upload("thumb.jpg"))
        episode = make_episode(image_url="https://cdn.example.com/cover.jpg", thumbnail=stored)
        episode.title = "編集"
        episode.save()
        episode.refresh_from_db()
        assert episode.thumbnail.name == stored

    def test_removing_the_image_removes_its_thumbnail(self):
        episode = Episode.objects.get(pk=make_episode(image=image_upload("c.png", width=600, height=600)).pk)
        assert episode.thumbnail
        episode.image = ""
        episode.save()
        assert not episode.thumbnail
