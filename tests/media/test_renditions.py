"""Image renditions (episodes/media/renditions.py): made once after the save, printed as srcset, never on a page view."""

import re
from contextlib import contextmanager
from io import BytesIO

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from episodes.catalogue import pictures
from episodes.catalogue.models import Actor, Episode, Show, Station
from episodes.media import renditions
from tests.factories import image_bytes, make_actor, make_episode, make_show
from tests.media.test_storage_s3 import media, s3_server  # noqa: F401  (fixtures)
from tests.worker import queued_funcs, run_queued

pytestmark = pytest.mark.django_db


def upload(name="cover.jpg", **kwargs) -> SimpleUploadedFile:
    kwargs.setdefault("fmt", "JPEG")
    return SimpleUploadedFile(name, image_bytes(**kwargs))


@contextmanager
def saved_then_worked(capture):
    """The save's commit callbacks run (they queue the renditions), then the worker runs the queue."""
    with capture(execute=True) as callbacks:
        yield callbacks
    run_queued()


def stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as fileobj:
        image = Image.open(BytesIO(fileobj.read()))
        image.load()
        return image


class TestBuiltAfterTheSave:
    def test_an_uploaded_show_artwork_gets_every_width_in_webp_and_jpeg_and_a_card(
        self, django_capture_on_commit_callbacks
    ):
        with saved_then_worked(django_capture_on_commit_callbacks) as callbacks:
            show = make_show(artwork=upload(width=1600, height=1600))
        assert len(callbacks) == 1
        show.refresh_from_db()
        record = show.renditions
        assert record["source"] == show.artwork.name
        assert record["widths"] == [96, 192, 400, 800]
        assert record["fallback"] == "jpg"
        for width in record["widths"]:
            webp = stored(renditions.rendition_name(show.artwork.name, width, "webp"))
            jpeg = stored(renditions.rendition_name(show.artwork.name, width, "jpg"))
            assert (webp.format, webp.size) == ("WEBP", (width, width))
            assert (jpeg.format, jpeg.size) == ("JPEG", (width, width))
        card = stored(renditions.card_name(show.artwork.name))
        assert (card.format, card.size) == ("JPEG", (1200, 630))
        # The original stays for the feeds, which need 1400–3000 px.
        assert stored(show.artwork.name).size == (1600, 1600)

    def test_nothing_is_made_inside_the_save_itself(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            show = make_show(artwork=upload(width=500, height=500))
        # Committed: the renditions wait in the worker's queue, not in the editor's request.
        assert queued_funcs() == ["episodes.catalogue.pictures.make_renditions"]
        show.refresh_from_db()
        assert show.renditions == {}
        assert not default_storage.exists(renditions.rendition_name(show.artwork.name, 96, "webp"))

    def test_a_transparent_portrait_keeps_its_alpha_in_a_png_fallback_and_its_aspect(
        self, django_capture_on_commit_callbacks
    ):
        portrait = SimpleUploadedFile("zunda.png", image_bytes(300, 420, mode="RGBA", color=(0, 200, 0, 0)))
        with saved_then_worked(django_capture_on_commit_callbacks):
            actor = make_actor(image=portrait)
        actor.refresh_from_db()
        assert actor.renditions["fallback"] == "png"
        assert actor.renditions["widths"] == [96, 192, 300]
        small = stored(renditions.rendition_name(actor.image.name, 96, "png"))
        assert small.size == (96, 134) and small.mode == "RGBA"

    def test_a_small_image_is_never_scaled_up(self, django_capture_on_commit_callbacks):
        with saved_then_worked(django_capture_on_commit_callbacks):
            episode = make_episode(image=upload(width=64, height=64))
        episode.refresh_from_db()
        assert episode.renditions["widths"] == [64]

    def test_a_replaced_image_is_shown_as_it_is_until_its_own_renditions_exist(
        self, django_capture_on_commit_callbacks
    ):
        with saved_then_worked(django_capture_on_commit_callbacks):
            show = make_show(artwork=upload(width=300, height=300))
        show.refresh_from_db()
        assert show.cover_picture.ready
        show.artwork = upload(name="new.jpg", width=300, height=300)
        show.save()
        # The record still names the old file: never printed for the new one.
        assert not show.cover_picture.ready
        assert show.cover_picture.src == show.artwork.url
        # A build that runs late (the queue was busy) makes the current file's.
        assert pictures.build_renditions(model="catalogue.Show", pk=show.pk, field="artwork")
        show.refresh_from_db()
        assert show.renditions["source"] == show.artwork.name and show.cover_picture.ready


class TestPrinted:
    def test_the_episode_page_prints_a_picture_with_webp_srcset_sizes_and_dimensions(
        self, client, django_capture_on_commit_callbacks
    ):
        with saved_then_worked(django_capture_on_commit_callbacks):
            show = make_show(artwork=upload(width=1000, height=1000))
            episode = make_episode(show=show)
        page = client.get(episode.get_absolute_url()).content.decode()
        picture = re.search(r"<picture>.*?</picture>", page).group(0)
        assert '<source type="image/webp" srcset="' in picture
        assert "-96w.webp 96w" in picture and "-192w.webp 192w" in picture
        assert 'sizes="88px"' in picture
        assert 'class="cover"' in picture and 'width="88" height="88"' in picture
        assert "-192w.jpg" in picture  # the fallback for browsers without WebP
        assert f'src="{show.artwork.url}"' not in page  # the 1000 px original is not on the page
        assert re.search(r'og:image" content="[^"]+-card\.jpg"', page)

    def test_the_oembed_thumbnail_is_a_rendition_with_its_own_size(
        self, client, django_capture_on_commit_callbacks, settings
    ):
        settings.SITE_URL = "https://podcast.example.jp"
        with saved_then_worked(django_capture_on_commit_callbacks):
            show = make_show(artwork=upload(width=1000, height=500))
            episode = make_episode(show=show)
        data = client.get("/oembed", {"url": "https://podcast.example.jp" + episode.get_absolute_url()}).json()
        assert data["thumbnail_url"].endswith(renditions.rendition_name(show.artwork.name, 400, "jpg"))
        assert (data["thumbnail_width"], data["thumbnail_height"]) == (400, 200)
        with default_storage.open(renditions.rendition_name(show.artwork.name, 400, "jpg"), "rb") as fileobj:
            assert Image.open(fileobj).size == (400, 200)  # what it declares is what it is

    def test_cards_below_the_first_are_lazy_and_the_first_is_not(self, client, django_capture_on_commit_callbacks):
        with saved_then_worked(django_capture_on_commit_callbacks):
            show = make_show(artwork=upload(width=500, height=500))
        for _ in range(3):
            make_episode(show=show)
        page = client.get(reverse("episodes:home")).content.decode()
        cards = re.findall(r'<a class="thumb".*?</a>', page, re.S)
        assert len(cards) == 3
        assert 'loading="lazy"' not in cards[0]
        assert all('loading="lazy"' in card for card in cards[1:])

    def test_before_the_renditions_exist_the_original_is_shown(self, client):
        show = make_show(artwork=upload(width=300, height=300))
        episode = make_episode(show=show)
        page = client.get(episode.get_absolute_url()).content.decode()
        assert f'<img class="cover" src="{show.artwork.url}"' in page
        assert "<picture>" not in page

    def test_an_external_image_url_is_printed_as_it_is(self):
        episode = make_episode(image_url="https://cdn.example.jp/cover.jpg")
        assert episode.picture.src == "https://cdn.example.jp/cover.jpg"
        assert not episode.picture.ready
        assert episode.picture.card_src == "https://cdn.example.jp/cover.jpg"

    def test_a_page_reads_no_storage(self, client, django_capture_on_commit_callbacks, monkeypatch):
        with saved_then_worked(django_capture_on_commit_callbacks):
            episode = make_episode(show=make_show(artwork=upload(width=300, height=300)))

        def refuse(*args, **kwargs):
            raise AssertionError("a page view touched the storage")

        storage_class = type(storages["default"])
        monkeypatch.setattr(storage_class, "exists", refuse)
        monkeypatch.setattr(storage_class, "open", refuse)
        assert client.get(episode.get_absolute_url()).status_code == 200


class TestCommand:
    def test_it_builds_what_is_missing_and_nothing_twice(self, capsys):
        Station.objects.create(pk=1, name="局", description="局", author="局", owner_email="a@example.jp")
        show = make_show(artwork=upload(width=300, height=300))
        actor = make_actor(image=upload(width=200, height=280))
        episode = make_episode(show=show, image=upload(width=120, height=120))
        call_command("build_renditions", "--dry-run")
        assert "縮小版のない画像が 3 件" in capsys.readouterr().out
        assert Show.objects.get(pk=show.pk).renditions == {}
        call_command("build_renditions")
        assert "3 件の画像について作りました" in capsys.readouterr().out
        assert Show.objects.get(pk=show.pk).renditions["widths"] == [96, 192, 300]
        assert Actor.objects.get(pk=actor.pk).renditions["widths"] == [96, 192, 200]
        assert Episode.objects.get(pk=episode.pk).renditions["widths"] == [96, 120]
        call_command("build_renditions")
        assert "0 件の画像" in capsys.readouterr().out

    def test_an_unreadable_file_is_named_and_the_exit_is_non_zero(self, capsys):
        show = make_show(artwork=upload(width=300, height=300))
        with default_storage.open(show.artwork.name, "wb") as broken:
            broken.write(b"not an image any more")
        with pytest.raises(CommandError):
            call_command("build_renditions")
        assert show.artwork.name in capsys.readouterr().err


@pytest.mark.slow
class TestOnS3:
    """The same build against moto's S3 API (the fixtures of tests/media/test_storage_s3.py)."""

    def test_renditions_are_written_to_the_bucket_and_printed_with_its_urls(
        self, request, client, django_capture_on_commit_callbacks
    ):
        bucket = request.getfixturevalue("media")
        with saved_then_worked(django_capture_on_commit_callbacks):
            episode = make_episode(image=upload(width=500, height=500))
        episode.refresh_from_db()
        keys = bucket.object_keys()
        for width in (96, 192, 400, 500):
            assert any(key.endswith(renditions.rendition_name(episode.image.name, width, "webp")) for key in keys)
        page = client.get(episode.get_absolute_url()).content.decode()
        assert bucket.server.endpoint in page and "-96w.webp 96w" in page
