"""One road to audio metadata: files and URLs give the same answer (episodes/media/audio_metadata.py)."""

import hashlib
import io

import pytest

from episodes.catalogue.models import Episode
from episodes.media.audio import MIME_MP3, AudioError
from episodes.media.audio_metadata import RemoteAudioError, audio_metadata, probe_external_audio
from tests.audio_server import NOT_AUDIO
from tests.factories import MP3, make_show

SHA256 = hashlib.sha256(MP3.read_bytes()).hexdigest()


class TestAudioMetadata:
    def test_a_path_an_open_file_and_a_url_agree(self, ranged):
        from_path = audio_metadata(MP3)
        with MP3.open("rb") as f:
            from_file = audio_metadata(f)
            assert f.tell() == 0  # left where a storage backend expects to start reading
        from_url = audio_metadata(ranged.url("/tone.mp3"))
        assert from_path == from_file
        assert (from_path.size, from_path.mime_type, from_path.sha256) == (MP3.stat().st_size, MIME_MP3, SHA256)
        assert (from_url.size, from_url.duration, from_url.bitrate) == (
            from_path.size,
            from_path.duration,
            from_path.bitrate,
        )
        assert from_url.sha256 == ""  # a URL is read a few blocks at a time, never whole

    def test_a_hash_taken_as_the_bytes_arrived_is_not_taken_again(self):
        assert audio_metadata(MP3, sha256="a" * 64).sha256 == "a" * 64

    def test_not_audio_is_refused_by_the_same_rules_either_way(self, ranged):
        with pytest.raises(AudioError, match="MP3 または M4A"):
            audio_metadata(io.BytesIO(NOT_AUDIO))
        with pytest.raises(RemoteAudioError, match="MP3 または M4A"):
            audio_metadata(ranged.url("/noise.bin"))

    def test_the_ssrf_rules_hold_for_every_caller(self, settings):
        settings.PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = False
        with pytest.raises(RemoteAudioError, match="内部のネットワーク"):
            audio_metadata("http://127.0.0.1:9/a.mp3")


@pytest.mark.django_db
class TestProbeExternalAudio:
    def episode(self, url: str, **fields) -> Episode:
        return Episode(show=make_show(), number=1, title="t", audio_url=url, **fields)

    def test_what_is_read_is_recorded(self, ranged):
        episode = self.episode(ranged.url("/tone.mp3"))
        assert probe_external_audio(episode) is None
        assert episode.audio_size == MP3.stat().st_size and episode.audio_problem == ""

    def test_why_it_could_not_be_read_is_recorded_and_the_timeline_length_kept(self, ranged):
        episode = self.episode(ranged.url("/gone.mp3"), transcript_cues=[[0.0, 12.5, "はじめに"]])
        failure = probe_external_audio(episode)
        assert failure is not None and not failure.temporary
        assert (episode.audio_size, episode.audio_duration) == (None, 12.5)
        assert episode.audio_problem == str(failure)
        assert episode.feed_problem == f"音声のサイズがまだ分からないため、フィードに載りません。理由: {failure}"
