"""Audio metadata is read from the file's content with mutagen."""

import io

import pytest
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from episodes.media.audio import MIME_M4A, MIME_MP3, AudioError, format_duration, probe_audio
from tests.factories import M4A
from tests.factories import MP3 as MP3_PATH


class TestProbeAudio:
    def test_mp3(self):
        with MP3_PATH.open("rb") as f:
            info = probe_audio(f)
        assert info.size == MP3_PATH.stat().st_size
        assert info.mime_type == MIME_MP3
        assert info.duration == pytest.approx(MP3(MP3_PATH).info.length)
        assert info.duration == pytest.approx(2.06, abs=0.5)
        assert info.bitrate == MP3(MP3_PATH).info.bitrate

    def test_m4a(self):
        with M4A.open("rb") as f:
            info = probe_audio(f)
        assert info.size == M4A.stat().st_size
        assert info.mime_type == MIME_M4A
        assert info.duration == pytest.approx(MP4(M4A).info.length)

    def test_leaves_file_at_start(self):
        with MP3_PATH.open("rb") as f:
            probe_audio(f)
            assert f.tell() == 0

    @pytest.mark.parametrize(
        "content",
        [
            b"",
            b"this is a text file pretending to be an mp3\n" * 100,
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 500,
            b"ID3\x04\x00\x00\x00\x00\x00\x00",  # an ID3 header and no audio
        ],
        ids=["empty", "text", "png", "id3-only"],
    )
    def test_refuses_what_is_not_audio(self, content):
        with pytest.raises(AudioError):
            probe_audio(io.BytesIO(content))

    def test_truncated_mp3_still_has_no_zero_duration(self):
        data = MP3_PATH.read_bytes()[:2000]
        try:
            info = probe_audio(io.BytesIO(data))
        except AudioError:
            return
        assert info.duration > 0
        assert info.size == 2000


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, ""),
        (float("nan"), ""),
        (0.4, "0:00"),
        (4.2, "0:04"),
        (61, "1:01"),
        (82.52, "1:22"),  # the player's controls say 1:22, not 1:23
        (3599.6, "59:59"),
        (3725, "1:02:05"),
    ],
)
def test_format_duration(seconds, shown):
    """Rounded down, as Chromium's controls (and the player's own clocks) show a time."""
    assert format_duration(seconds) == shown
