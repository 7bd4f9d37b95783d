"""The old site's files: both roots of the repository, image fallbacks, missing images named (importers/files.py)."""

import io
import re
from io import BytesIO

import pytest
from django.core.management import call_command
from PIL import Image

from episodes.catalogue.models import Episode, LegacyPath, Station
from tests.factories import MP3, add_post, image_bytes, jekyll_config, jekyll_post, jekyll_site

pytestmark = pytest.mark.django_db


def write_post(site, serial: int, image: str = "", thumbnail: str = "") -> None:
    day = f"0{serial}"
    text = jekyll_post(serial, day=day, show="ファイル番組", image=image, thumbnail=thumbnail)
    add_post(site, text, serial=serial, day=day, mp3=f"ファイル番組_podcast_202601{day}.mp3")


@pytest.fixture
def site(tmp_path):
    return jekyll_site(tmp_path / "old", jekyll_config(title="ファイル局"))


def run_import(site, *args) -> str:
    out = io.StringIO()
    call_command("import_jekyll", str(site), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class TestTwoRoots:
    def test_images_in_the_public_folder_are_stored_once_and_the_old_path_redirects(self, site, client):
        (site / "public" / "images" / "cover.png").write_bytes(image_bytes(color=(1, 2, 3)))
        (site / "public" / "images" / "thumbs" / "t.png").write_bytes(image_bytes(color=(4, 5, 6)))
        write_post(site, 1, image="https://old.example.jp/images/cover.png", thumbnail="/images/thumbs/t.png")
        write_post(site, 2, image="/images/cover.png")
        run_import(site)
        first, second = Episode.objects.get(number=1), Episode.objects.get(number=2)
        assert first.image and first.image.name == second.image.name  # stored once
        assert first.image_url == ""
        assert first.thumbnail_url == ""
        assert LegacyPath.objects.filter(path="/images/cover.png").count() == 1
        response = client.get("/images/cover.png")
        assert response.status_code == 301
        assert client.get(response["Location"]).status_code == 200

    def test_the_jekyll_root_wins_over_public(self, site):
        (site / "images" / "same.png").write_bytes(image_bytes(color=(9, 9, 9)))
        (site / "public" / "images" / "same.png").write_bytes(image_bytes(color=(200, 0, 0)))
        write_post(site, 1, image="/images/same.png")
        run_import(site)
        stored = Episode.objects.get(number=1).image
        assert stored.read() == (site / "images" / "same.png").read_bytes()


class TestFallbacks:
    def test_a_post_without_an_image_stores_no_image_url(self, site):
        write_post(site, 1)
        run_import(site)
        episode = Episode.objects.get(number=1)
        assert (episode.image_url, episode.thumbnail_url, episode.image.name) == ("", "", "")

    def test_an_image_on_another_host_stays_a_url(self, site):
        write_post(site, 1, image="https://cdn.example.net/c.png")
        out = run_import(site)
        assert Episode.objects.get(number=1).image_url == "https://cdn.example.net/c.png"
        assert "image_missing" not in out

    def test_an_own_image_nowhere_in_the_folder_is_named_with_its_post(self, site):
        write_post(site, 1, image="https://old.example.jp/images/lost.png")
        out = run_import(site)
        assert "2026-01-01-1.md: https://old.example.jp/images/lost.png は旧サイトのフォルダーにありません" in out
        assert "image_missing: 1 件" in out


class TestStationArtwork:
    @pytest.mark.parametrize(
        "href",
        [
            "{{ site.url }}/images/art.jpg",
            "{{ site.github.url }}/images/art.jpg",
            "{{ site.url }}{{ site.baseurl }}/images/art.jpg",
            "{{site.baseurl}}/images/art.jpg",
            "{{ '/images/art.jpg' | absolute_url }}",
            '{{ "/images/art.jpg" | relative_url }}',
            "/images/art.jpg",
        ],
    )
    def test_taken_from_the_old_feed_template(self, site, client, href):
        (site / "public" / "images" / "art.jpg").write_bytes(image_bytes(1400, 1400, fmt="JPEG"))
        quote = "'" if '"' in href else '"'
        (site / "feed.xml").write_text(
            f"<channel><itunes:image href={quote}{href}{quote}/></channel>", encoding="utf-8"
        )
        write_post(site, 1)
        run_import(site)
        station = Station.load()
        assert station.artwork
        assert station.artwork.read() == (site / "public" / "images" / "art.jpg").read_bytes()
        assert station.artwork.url in client.get("/feed.xml").content.decode()

    def test_the_media_thumbnail_stands_in_for_a_missing_itunes_image(self, site):
        (site / "public" / "images" / "art.jpg").write_bytes(image_bytes(1400, 1400, fmt="JPEG"))
        feed = '<channel><media:thumbnail url="{{ site.github.url }}/images/art.jpg" /></channel>'
        (site / "feed.xml").write_text(feed, encoding="utf-8")
        write_post(site, 1)
        run_import(site)
        assert Station.load().artwork.read() == (site / "public" / "images" / "art.jpg").read_bytes()

    def test_a_show_without_an_image_takes_the_stations_and_the_import_says_so(self, site, client):
        (site / "public" / "images" / "art.jpg").write_bytes(image_bytes(1400, 1400, fmt="JPEG"))
        feed = '<channel><itunes:image href="{{ site.github.url }}/images/art.jpg" /></channel>'
        (site / "feed.xml").write_text(feed, encoding="utf-8")
        write_post(site, 1)
        out = run_import(site)
        show = Episode.objects.get(number=1).show
        assert "番組「ファイル番組」には使える画像がないので、局のアートワーク" in out
        station_art = Station.load().artwork.url
        for path in ("/feed.xml", f"/shows/{show.slug}/feed.xml"):
            assert station_art in client.get(path).content.decode(), path
        assert station_art in client.get(show.get_absolute_url()).content.decode()

    def test_a_template_without_one_leaves_the_station_as_it_was(self, site):
        (site / "feed.xml").write_text("<channel></channel>", encoding="utf-8")
        write_post(site, 1)
        run_import(site)
        assert not Station.load().artwork


class TestOverwrite:
    def test_identical_audio_is_reused_not_stored_again(self, site, settings):
        write_post(site, 1)
        run_import(site)
        before = Episode.objects.get(number=1).audio_file.name
        files_before = sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
        out = io.StringIO()
        call_command("import_jekyll", str(site), "--overwrite", stdout=out, stderr=io.StringIO())
        assert Episode.objects.get(number=1).audio_file.name == before
        assert sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == files_before

    def test_different_audio_is_stored_under_a_new_url(self, site):
        write_post(site, 1)
        run_import(site)
        before = Episode.objects.get(number=1).audio_file.name
        mp3 = site / "audio" / "ファイル番組_podcast_20260101.mp3"
        mp3.write_bytes(mp3.read_bytes() + b"\0" * 128)
        call_command("import_jekyll", str(site), "--overwrite", stdout=io.StringIO(), stderr=io.StringIO())
        assert Episode.objects.get(number=1).audio_file.name != before


class TestExternalAudio:
    def write_external(self, site, url: str) -> None:
        text = (
            f"---\nactor_ids:\n  - ずんだもん\naudio_file_path: {url}\ndate: 2026-01-02 06:00:00 +0900\n"
            "title: ファイル番組 podcast 20260102\n---\n"
        )
        (site / "_posts" / "2026-01-02-2.md").write_text(text, encoding="utf-8")

    def test_the_summary_says_what_is_out_of_the_feed_and_how_to_fix_it(self, site, ranged):
        self.write_external(site, ranged.url("/tone.mp3"))
        out = run_import(site)
        assert (
            "フィードに載らない公開エピソード: 1 件（音声のサイズか長さが不明）。うち外部の音声 1 件は probe_audio"
            in out
        )

    def test_probe_measures_external_audio_as_part_of_the_move(self, site, ranged):
        self.write_external(site, ranged.url("/tone.mp3"))
        out = run_import(site, "--probe")
        episode = Episode.objects.get(number=2)
        assert episode.audio_size == MP3.stat().st_size and episode.audio_duration > 0
        assert "フィード: 公開中の 1 件すべてが載っています" in out


class TestShowArtwork:
    def test_small_transparent_art_is_taken_with_a_conforming_feed_rendition(self, site, client):
        png = BytesIO()
        Image.new("RGBA", (720, 720), (10, 20, 30, 128)).save(png, format="PNG")
        (site / "public" / "images" / "small_art.png").write_bytes(png.getvalue())
        write_post(site, 1, image="/images/small_art.png")
        out = run_import(site, "-v", "2")
        show = Episode.objects.get(number=1).show
        assert show.artwork
        assert "720px なので、フィードには 1400px に拡大した複製を使います" in out
        assert "show_artwork_scaled_up: 1 件" in out
        with show.feed_artwork.open("rb") as f, Image.open(f) as rendition:
            assert (rendition.format, rendition.mode, rendition.size) == ("JPEG", "RGB", (1400, 1400))
        assert show.feed_artwork.url in client.get(f"/shows/{show.slug}/feed.xml").content.decode()


class TestMissingImages:
    """A file the old folder lacks is named for upload, and the pages fall back: never a broken <img>."""

    @pytest.fixture
    def lacking(self, tmp_path):
        site = jekyll_site(tmp_path / "lacking", jekyll_config(title="欠け局", actor_image="/images/actors/gone.png"))
        (site / "public" / "images" / "art.jpg").write_bytes(image_bytes(1400, 1400, fmt="JPEG"))
        feed = '<channel><itunes:image href="{{ site.github.url }}/images/art.jpg" /></channel>'
        (site / "feed.xml").write_text(feed, encoding="utf-8")
        write_post(site, 1, image="https://old.example.jp/images/lost.png")
        return site

    def test_the_import_names_each_file_to_upload(self, lacking):
        out = run_import(lacking)
        assert "出演者「ずんだもん」の画像 /images/actors/gone.png は旧サイトのフォルダーにありません" in out
        assert "2026-01-01-1.md: https://old.example.jp/images/lost.png は旧サイトのフォルダーにありません" in out

    def test_no_link_to_a_file_nobody_will_serve_is_stored(self, lacking):
        run_import(lacking)
        episode = Episode.objects.get(number=1)
        assert episode.image_url == "" and not episode.image
        assert [a.image_url for a in episode.actors] == [""]

    def test_an_actor_imported_before_with_the_dead_link_is_mended(self, lacking):
        run_import(lacking)
        actor = Episode.objects.get(number=1).actors[0]
        actor.image_url = "https://old.example.jp/images/actors/gone.png"
        actor.save()
        run_import(lacking)
        actor.refresh_from_db()
        assert actor.image_url == ""

    def test_every_image_on_the_pages_answers(self, lacking, client):
        run_import(lacking)
        episode = Episode.objects.get(number=1)
        actor = episode.actors[0]
        for page in (episode.get_absolute_url(), actor.get_absolute_url(), episode.show.get_absolute_url(), "/"):
            html = client.get(page).content.decode()
            sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)
            assert sources, page
            for src in sources:
                assert client.get(src, follow=True).status_code == 200, (page, src)
        assert actor.portrait_src.endswith("voice-placeholder.svg")
        assert episode.image_src == episode.show.cover_src == Station.load().artwork.url  # the station's art
