"""The catalogue an import hangs posts on: specials filed under their show, shows created and said (importers/catalogue.py)."""

import io

import pytest
from django.core.management import call_command

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
