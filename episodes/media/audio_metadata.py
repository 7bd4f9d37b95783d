"""The one road to an audio source's metadata: size, duration, type, bitrate and SHA-256.

Given a file (a path or an open binary file) or an external URL,
`audio_metadata` answers an `AudioInfo`. The model (uploads), the publishing
service (the API, `publish_episode`, the importer), the admin form (external
URLs) and `probe_audio` all call it, so a file is judged by the same rules
whichever road it comes by. A file is read with mutagen and hashed in one
function; a URL is probed over HTTP with the SSRF rules (`remote_audio`),
reading only the blocks mutagen needs, so its hash stays "".
"""

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from episodes.media.audio import AudioInfo, probe_audio
from episodes.media.remote_audio import ProbeStats, RemoteAudioError, probe_remote_audio, timeline_duration
from episodes.media.remote_http import is_external

__all__ = ["AudioInfo", "RemoteAudioError", "audio_metadata", "is_external", "probe_external_audio"]

HASH_BLOCK = 1024 * 1024


def audio_metadata(
    source: Path | BinaryIO | str,
    *,
    sha256: str | None = None,
    fallback_duration: float | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    stats: ProbeStats | None = None,
) -> AudioInfo:
    """Size, duration, type, bitrate and hash of a file (path or open binary file) or of an external URL.

    `sha256` is a hash already taken as the bytes arrived (the API's upload), so
    the file is not read a second time for it. For a URL, `fallback_duration`
    (the timeline's length) stands in when mutagen finds none; `timeout` and
    `retries` default to the inline probe's (`PROBE_AUDIO_ADMIN_TIMEOUT`, one
    retry). Raises `AudioError` (for a URL, `RemoteAudioError`) with a message
    for editors.
    """
    if isinstance(source, str):
        return probe_remote_audio(
            source,
            timeout=settings.PROBE_AUDIO_ADMIN_TIMEOUT if timeout is None else timeout,
            retries=1 if retries is None else retries,
            fallback_duration=fallback_duration,
            stats=stats,
        )
    if isinstance(source, Path):
        with source.open("rb") as fileobj:
            return _read_file(fileobj, sha256)
    return _read_file(source, sha256)


def _read_file(fileobj: BinaryIO, sha256: str | None) -> AudioInfo:
    info = probe_audio(fileobj)
    if sha256 is None:
        digest = hashlib.sha256()
        while block := fileobj.read(HASH_BLOCK):
            digest.update(block)
        fileobj.seek(0)
        sha256 = digest.hexdigest()
    return replace(info, sha256=sha256)


def probe_external_audio(episode) -> RemoteAudioError | None:
    """Probe an episode's external audio URL now and record the result on it (the caller saves).

    On failure the reason is recorded on the episode (`audio_problem`), the
    timeline's length kept when there is one, and the error returned, so the
    caller can say so or, as the admin does for a lasting failure, refuse.
    """
    fallback = timeline_duration(episode.transcript_cues)
    try:
        info = audio_metadata(episode.audio_url, fallback_duration=fallback)
    except RemoteAudioError as exc:
        episode.set_audio_problem(str(exc), duration=fallback)
        return exc
    episode.set_audio_info(info)
    return None
