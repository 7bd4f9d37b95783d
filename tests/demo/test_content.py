"""Demo content never mixes with a real station (episodes/demo/content)."""

import io

import pytest
from django.core.management import call_command

from episodes.catalogue.models import Actor, Episode, LegacyPath, Show, Station
from episodes.demo import content as demo
from tests.factories import add_post, jekyll_config, jekyll_post, jekyll_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_site(tmp_path):
    site = jekyll_site(tmp_path / "real", jekyll_config(title="本番テスト局", url="https://podcast.example.jp/"))
    add_post(
        site,
        jekyll_post(1, day="05", show="本番番組", articles=1),
        serial=1,
        day="05",
        mp3="本番番組_podcast_20260105.mp3",
    )
    return site


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class TestImportOverTheDemo:
    def test_the_demo_is_removed_first_and_the_summary_says_so(self, real_site):
        run("load_demo")
        assert demo.demo_episodes().count() == 5
        out = run("import_jekyll", str(real_site))
        assert "デモ用データを削除してから取り込みます（エピソード 5 件、番組 2 件" in out
        assert not Episode.objects.filter(guid__contains="demo.example.com").exists()
        assert Episode.objects.get(number=1).guid == "https://podcast.example.jp/episode/1"
        assert list(Show.objects.values_list("name", flat=True)) == ["本番番組"]
        assert list(Actor.objects.values_list("name", flat=True)) == ["ずんだもん"]
        assert Station.load().name == "本番テスト局"
        assert not LegacyPath.objects.filter(path__contains="demo").exists()

    def test_a_dry_run_only_says_what_it_would_remove(self, real_site):
        run("load_demo")
        out = run("import_jekyll", str(real_site), "--dry-run")
        assert "デモ用データ（エピソード 5 件）は、取り込むときに削除します。" in out
        assert demo.demo_episodes().count() == 5

    def test_reloading_the_demo_itself_keeps_it(self):
        run("load_demo")
        run("import_jekyll", str(demo.DEMO_SITE))
        assert demo.demo_episodes().count() == 5

    def test_a_real_station_is_never_touched(self, real_site):
        run("import_jekyll", str(real_site))
        assert "デモ用データ" not in run("import_jekyll", str(real_site))
        assert Episode.objects.count() == 1
