"""Reading audio by content, with mutagen: the step every metadata probe ends in.

Podcast apps need the true size in bytes and the duration; the old site sent
0 and "00:00" for every file. Files are identified by what they contain, never
by their name: a text file renamed `.mp3` is refused. Callers ask
`audio_metadata.audio_metadata` (a file or a URL); it reads through `probe_audio` here.
"""

import math
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

MIME_MP3 = "audio/mpeg"
MIME_M4A = "audio/x-m4a"


class AudioError(ValueError):
    """The file is not audio we can publish; the message is for editors."""


@dataclass(frozen=True)
class AudioInfo:
    """What a podcast feed and player need to know about a file."""

    size: int
    duration: float
    mime_type: str
    bitrate: int
    # SHA-256 of the bytes when they were all read here; "" for a URL read a few blocks at a time.
    sha256: str = ""


def _file_size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def probe_audio(fileobj: BinaryIO) -> AudioInfo:
    """Read size, duration, type and bitrate from an open binary file (mutagen's part of `audio_metadata`).

    Tries MP4/M4A first (it has an unambiguous `ftyp` box), then MP3, which
    mutagen accepts only when it finds consistent MPEG frames.
    """
    size = _file_size(fileobj)
    if size == 0:
        raise AudioError("音声ファイルが空です。")
    for kind, mime in ((MP4, MIME_M4A), (MP3, MIME_MP3)):
        fileobj.seek(0)
        try:
            audio = kind(fileobj)
        except (MutagenError, EOFError, ValueError, OverflowError):
            continue
        duration = float(getattr(audio.info, "length", 0) or 0)
        if duration <= 0:
            continue
        bitrate = int(getattr(audio.info, "bitrate", 0) or 0)
        fileobj.seek(0)
        return AudioInfo(size=size, duration=duration, mime_type=mime, bitrate=bitrate)
    fileobj.seek(0)
    raise AudioError("MP3 または M4A の音声として読み取れないファイルです。ファイルの中身を確認してください。")


EXTENSIONS = {MIME_MP3: "mp3", MIME_M4A: "m4a"}


def name_with_audio_extension(name: str, mime_type: str) -> str:
    """An uploaded file's name ending as its probed type says: `x.html` holding MP3 frames becomes `x.mp3`."""
    stem = PurePosixPath(name).stem or "audio"
    return str(PurePosixPath(name).with_name(f"{stem}.{EXTENSIONS[mime_type]}"))


def format_duration(seconds: float | None) -> str:
    """Show a duration as H:MM:SS or M:SS, rounded down as players do.

    Chromium's and Safari's controls cut the fraction off (82.5 s is 1:22), and
    so do the player's own clocks (static/js): rounding here made a card say
    1:23 beside a player saying 1:22. Every time on a page goes through this.
    """
    if seconds is None or not math.isfinite(seconds):
        return ""
    total = int(max(seconds, 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
