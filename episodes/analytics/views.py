"""The counting URL for audio the site does not serve itself (object storage, a CDN, another host)."""

from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe

from ..media import record_requested
from ..models import Episode


@require_safe
def listen(request, pk: int, filename: str):
    """Record a hit, then 302 to the audio's real address (a measurement prefix, as hosts use)."""
    episode = get_object_or_404(Episode.objects.published().only("audio_file", "audio_url", "audio_size"), pk=pk)
    record_requested(request, episode_id=episode.pk, size=episode.audio_size, source="listen")
    return redirect(request.build_absolute_uri(episode.audio_src))
