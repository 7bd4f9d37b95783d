"""Measuring an episode's external audio off the save: the admin queues it, the worker runs it.

What was learned is recorded by the model's own `set_audio_info` / `set_audio_problem`
(through `media.audio_metadata.probe_external_audio`), whoever probes: the import, the
hourly `probe_audio` job or this task. `PROBED_FIELDS` is what such a probe writes.
"""

from django.db import transaction

from episodes.catalogue.models import Episode
from episodes.media.audio_metadata import probe_external_audio
from episodes.operations.tasks import side_effect

PROBED_FIELDS = ["audio_size", "audio_duration", "audio_mime_type", "audio_bitrate", "audio_problem", "updated_at"]


@side_effect("保存時の外部音声の読み取り")
def probe_episode_audio(episode_pk: int, audio_url: str) -> str:
    """Measure one episode's external audio and save what was learned (or why it could not be read)."""
    episode = Episode.objects.filter(pk=episode_pk, audio_url=audio_url, audio_file="").first()
    if episode is None:
        return "音声が変更されたか、エピソードがなくなったので読みませんでした。"
    failure = probe_external_audio(episode)
    with transaction.atomic():
        episode.save(update_fields=PROBED_FIELDS)
    if failure is not None:
        raise RuntimeError(
            f"#{episode.number} の音声を読めませんでした: {failure}（毎時の probe_audio が読み直します）"
        )
    return f"#{episode.number} の音声を読み取りました。"
