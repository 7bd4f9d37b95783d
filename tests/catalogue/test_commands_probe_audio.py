"""`probe_audio` fills in external audio over real HTTP, a few at a time, resumably."""

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from mutagen.mp3 import MP3 as MutagenMP3
from mutagen.mp4 import MP4

from episodes.catalogue.management.commands.probe_audio import Job, record_audio_info
from episodes.catalogue.models import Episode, SiteRevision
from episodes.media.audio import MIME_M4A, MIME_MP3, AudioInfo
from tests.audio_server import NOT_AUDIO, long_mp3
from tests.factories import M4A, MP3, make_episode

pytestmark = pytest.mark.django_db

CUES = [[0.0, 40.0, "はじめに"], [40.0, 95.5, "ニュース"]]


def run(*args, **kwargs) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("probe_audio", "--timeout", "2", "--retries", "0", *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def run_failing(*args, **kwargs) -> tuple[str, CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "probe_audio", "--timeout", "2", "--retries", "0", *args, stdout=out, stderr=io.StringIO(), **kwargs
        )
    return out.getvalue(), caught.value


def feed_items(client) -> dict[str, ET.Element]:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    return {item.findtext("guid"): item for item in ET.fromstring(response.content).iter("item")}


class TestProbeAudio:
    def test_fills_in_external_audio_and_the_feed_lists_it(self, client, ranged, plain):
        long_episode = make_episode(audio=ranged.url("/long.mp3"))
        m4a_episode = make_episode(audio=ranged.url("/tone.m4a"))
        plain_episode = make_episode(audio=plain.url("/tone.mp3"))
        uploaded = make_episode()
        assert long_episode.feed_guid not in feed_items(client)
        etag, revision = client.get("/feed.xml")["ETag"], SiteRevision.current()[0]

        out, err = run(verbosity=2)

        assert "成功 3、失敗 0、スキップ 0" in out
        assert f"#{long_episode.number} {len(long_mp3()):,} バイト" in out
        assert "読み取り中 3/3" in err
        long_episode.refresh_from_db()
        assert long_episode.audio_size == len(long_mp3())
        assert long_episode.audio_duration == pytest.approx(MutagenMP3(io.BytesIO(long_mp3())).info.length)
        assert (long_episode.audio_mime_type, long_episode.audio_bitrate) == (MIME_MP3, 32000)
        assert ranged.sent("/long.mp3") < len(long_mp3()) / 10
        m4a_episode.refresh_from_db()
        assert (m4a_episode.audio_size, m4a_episode.audio_mime_type) == (M4A.stat().st_size, MIME_M4A)
        assert m4a_episode.audio_duration == pytest.approx(MP4(M4A).info.length)
        plain_episode.refresh_from_db()
        assert plain_episode.audio_size == MP3.stat().st_size
        assert plain_episode.audio_duration == pytest.approx(MutagenMP3(MP3).info.length)
        assert Episode.objects.get(pk=uploaded.pk).audio_size == uploaded.audio_size

        # Saved through the model: the revision moved, so the cached feed was rebuilt.
        assert SiteRevision.current()[0] > revision
        assert client.get("/feed.xml", HTTP_IF_NONE_MATCH=etag).status_code == 200
        enclosure = feed_items(client)[long_episode.feed_guid].find("enclosure")
        assert enclosure.get("url") == ranged.url("/long.mp3")
        assert enclosure.get("length") == str(len(long_mp3()))
        assert enclosure.get("type") == MIME_MP3

    def test_failures_are_grouped_by_reason_and_the_exit_status_is_non_zero(self, ranged):
        fine = make_episode(audio=ranged.url("/tone.mp3"))
        missing = [make_episode(audio=ranged.url(f"/gone{n}.mp3")) for n in range(2)]
        html = make_episode(audio=ranged.url("/page.mp3"))

        out, error = run_failing()

        assert error.returncode == 1
        assert "3 件の音声を読み取れませんでした" in str(error)
        assert "成功 1、失敗 3、スキップ 0" in out
        assert f"失敗 HTTP 404 見つからない: 2 件 #{missing[0].number}, #{missing[1].number}" in out
        assert f"失敗 音声ではない応答: 1 件 #{html.number}" in out
        fine.refresh_from_db()
        assert fine.audio_size == MP3.stat().st_size  # saved despite the others
        assert Episode.objects.filter(audio_size__isnull=True).count() == 3

    def test_why_it_failed_is_kept_on_the_episode_and_shown_on_the_next_run(self, ranged):
        episode = make_episode(audio=ranged.url("/gone.mp3"))
        run_failing()
        episode.refresh_from_db()
        assert episode.audio_problem == "サーバーが HTTP 404 を返しました。"
        out, _ = run_failing()
        assert f"前回読み取れなかった理由: サーバーが HTTP 404 を返しました。 1 件 #{episode.number}" in out
        ranged.files["/gone.mp3"] = ranged.files["/tone.mp3"]
        run()
        episode.refresh_from_db()
        assert (episode.audio_size, episode.audio_problem) == (MP3.stat().st_size, "")

    def test_a_server_that_hangs_is_given_up_on(self, ranged):
        ranged.hang.add("/slow.mp3")
        make_episode(audio=ranged.url("/slow.mp3"))
        out, _ = run_failing("--timeout", "0.2")
        assert "失敗 タイムアウト: 1 件" in out

    def test_limit_then_the_next_run_finishes_the_rest(self, ranged):
        episodes = []
        for name in ("a", "b", "c"):
            ranged.files[f"/{name}.mp3"] = ranged.files["/tone.mp3"]
            episodes.append(make_episode(audio=ranged.url(f"/{name}.mp3")))

        out, _ = run("--limit", "2")
        assert "成功 2" in out and "残り 1 件は次の実行で" in out
        # Newest first (make_episode dates each episode an hour before the last).
        newest, middle, oldest = (Episode.objects.get(pk=e.pk) for e in episodes)
        assert newest.audio_size and middle.audio_size and oldest.audio_size is None

        out, _ = run("--only-missing")
        assert "成功 1、失敗 0" in out
        assert sorted(hit.path for hit in ranged.hits) == ["/a.mp3", "/b.mp3", "/c.mp3"]  # none probed twice
        assert not Episode.objects.filter(audio_size__isnull=True).exists()

        out, _ = run()
        assert "読み取りが必要なエピソードはありません" in out

    def test_dry_run_saves_nothing(self, ranged):
        episode = make_episode(audio=ranged.url("/tone.mp3"))
        revision = SiteRevision.current()[0]
        out, _ = run("--dry-run")
        assert "試行のみ" in out and "成功 1" in out
        episode.refresh_from_db()
        assert episode.audio_size is None and episode.audio_duration is None
        assert SiteRevision.current()[0] == revision

    def test_all_reprobes_what_is_already_known(self, ranged):
        episode = make_episode(audio=ranged.url("/tone.mp3"))
        Episode.objects.filter(pk=episode.pk).update(audio_size=1, audio_duration=1.0)
        assert "読み取りが必要なエピソードはありません" in run()[0]
        run("--all")
        episode.refresh_from_db()
        assert episode.audio_size == MP3.stat().st_size

    def test_only_missing_and_all_exclude_each_other(self):
        with pytest.raises(CommandError, match="not allowed"):
            call_command("probe_audio", "--all", "--only-missing")


class TestTimelineFallback:
    def test_timeline_gives_the_length_mutagen_cannot(self, client, ranged):
        episode = make_episode(audio=ranged.url("/noise.mp3"), transcript_cues=CUES)
        out, _ = run()
        assert "成功 1" in out and "タイムラインから: 1 件" in out
        episode.refresh_from_db()
        assert (episode.audio_size, episode.audio_duration) == (len(NOT_AUDIO), 95.5)
        assert episode.feed_guid in feed_items(client)

    def test_timeline_length_is_kept_when_nothing_else_is_learned(self, client, ranged):
        episode = make_episode(audio=ranged.url("/gone.mp3"), transcript_cues=CUES)
        out, _ = run_failing()
        assert "長さだけタイムラインから保存: 1 件" in out
        episode.refresh_from_db()
        assert (episode.audio_size, episode.audio_duration) == (None, 95.5)
        assert episode.feed_problem.startswith("音声のサイズがまだ分からない")
        assert episode.feed_guid not in feed_items(client)  # a feed never says 0 bytes


class TestRecording:
    def test_an_episode_whose_audio_changed_meanwhile_is_left_alone(self, ranged):
        episode = make_episode(audio=ranged.url("/tone.mp3"))
        job = Job(
            pk=episode.pk, number=episode.number, url=episode.audio_url, fallback_duration=None, has_duration=False
        )
        episode.audio_url = ranged.url("/long.mp3")
        episode.save()
        info = AudioInfo(size=8482, duration=2.06, mime_type=MIME_MP3, bitrate=32000)
        assert not record_audio_info(job, info)
        episode.refresh_from_db()
        assert episode.audio_size is None
