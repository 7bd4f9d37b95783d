"""The catalogue an import hangs posts on: specials filed under their show, shows created and said (importers/catalogue.py)."""

import io
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.utils.text import slugify

from episodes.catalogue.models import Episode, Show
from episodes.publishing.importers.catalogue import specials_of
from tests.factories import add_post, jekyll_config, jekyll_post, jekyll_site

pytestmark = pytest.mark.django_db

MAIN = "株式会社テスト技術室AI放送局"


@pytest.fixture
def site(tmp_path):
    return jekyll_site(tmp_path / "old", jekyll_config(title="テスト局"))


def run_import(site, *args) -> str:
    out = io.StringIO()
    call_command("import_jekyll", str(site), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class TestSpecials:
    @pytest.mark.parametrize(
        ("name", "show"),
        [
            (f"{MAIN} 開局一周年記念なのだ", MAIN),
            (f"{MAIN}　年末特番", MAIN),
            (f"{MAIN}-特別回-", MAIN),
            (f"{MAIN} podcast 臨時テスト", MAIN),
            (f"{MAIN}2", None),  # a name that merely goes on is another show
            ("株式会社テスト分室AI放送局", None),
        ],
    )
    def test_a_prefix_that_starts_with_a_known_show_and_a_separator(self, name, show):
        assert specials_of([name], {MAIN}).get(name) == show

    def test_the_special_is_an_episode_of_the_show_and_the_import_lists_it(self, site):
        for serial, day in ((1, "05"), (2, "06")):
            add_post(
                site,
                jekyll_post(serial, day=day, show=MAIN),
                serial=serial,
                day=day,
                mp3=f"{MAIN}_podcast_202601{day}.mp3",
            )
        special = f"{MAIN} 開局一周年記念大感謝祭なのだ"
        add_post(
            site, jekyll_post(3, day="07", show=special), serial=3, day="07", mp3=f"{special}_podcast_20260107.mp3"
        )
        out = run_import(site)
        assert list(Show.objects.values_list("name", flat=True)) == [MAIN]
        assert Episode.objects.get(number=3).show.name == MAIN
        assert (
            f"特別回: 2026-01-07-3.md「{special} podcast 20260107」は番組「{MAIN}」の回です（新しい番組にしません）"
            in out
        )
        assert f"番組を作成: {MAIN}（エピソード 3 件）" in out

    def test_a_show_already_in_the_database_is_known_to_a_later_import(self, site):
        add_post(site, jekyll_post(1, day="05", show=MAIN), serial=1, day="05", mp3=f"{MAIN}_podcast_20260105.mp3")
        run_import(site)
        special = f"{MAIN} 夏休みスペシャル"
        add_post(
            site, jekyll_post(2, day="06", show=special), serial=2, day="06", mp3=f"{special}_podcast_20260106.mp3"
        )
        out = run_import(site, "--dry-run")
        assert "番組を作ります" not in out
        assert f"は番組「{MAIN}」の回です（新しい番組にしません）" in out

    def test_the_show_map_wins(self, site, tmp_path):
        special = f"{MAIN} 開局記念"
        add_post(site, jekyll_post(1, day="05", show=MAIN), serial=1, day="05", mp3=f"{MAIN}_podcast_20260105.mp3")
        add_post(
            site, jekyll_post(2, day="06", show=special), serial=2, day="06", mp3=f"{special}_podcast_20260106.mp3"
        )
        mapping = tmp_path / "shows.yml"
        mapping.write_text(f"{special}: 記念番組\n", encoding="utf-8")
        run_import(site, "--show-map", str(mapping))
        assert Episode.objects.get(number=2).show.name == "記念番組"


class TestShowSlugs:
    """Shows get short ASCII addresses; the Japanese slug earlier imports gave them redirects (issue 25)."""

    def test_a_japanese_show_gets_an_ascii_slug_and_its_old_address_redirects(self, site, client):
        add_post(site, jekyll_post(1, day="05", show=MAIN), serial=1, day="05", mp3=f"{MAIN}_podcast_20260105.mp3")
        add_post(
            site, jekyll_post(2, day="06", show="Tech Talk"), serial=2, day="06", mp3="Tech Talk_podcast_20260106.mp3"
        )
        out = run_import(site)
        main, tech = Show.objects.get(name=MAIN), Show.objects.get(name="Tech Talk")
        assert (main.slug, tech.slug) == ("show-1", "tech-talk")
        assert list(main.former_slugs.values_list("slug", flat=True)) == [slugify(MAIN, allow_unicode=True)]
        assert not tech.former_slugs.exists()  # its name was its slug already
        assert f"    {MAIN} → /shows/show-1/（以前のURL 1 件をここへ転送）" in out
        assert "    Tech Talk → /shows/tech-talk/\n" in out
        old = f"/shows/{quote(slugify(MAIN, allow_unicode=True))}/feed.xml"
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, "/shows/show-1/feed.xml")

    def test_importing_again_keeps_the_slugs(self, site):
        add_post(site, jekyll_post(1, day="05", show=MAIN), serial=1, day="05", mp3=f"{MAIN}_podcast_20260105.mp3")
        run_import(site)
        show = Show.objects.get()
        show.slug = "zunda-ai"
        show.save()
        run_import(site)
        show.refresh_from_db()
        assert show.slug == "zunda-ai"
        assert sorted(show.former_slugs.values_list("slug", flat=True)) == sorted(
            ["show-1", slugify(MAIN, allow_unicode=True)]
        )
