"""Chapters and transcripts, the files a podcast app fetches beside the feed.

Linked from each item as `podcast:chapters` and `podcast:transcript`, and from
the episode page. Built by `transcripts` from stored fields, and served to any
origin with an ETag (`sharing.shared_file`).
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from episodes.catalogue.models import Episode
from episodes.feeds import transcripts
from episodes.feeds.sharing import shared_file


def chapters(request, number):
    """Podcasting 2.0 JSON chapters: an opening, then one per timed article."""
    episode = get_object_or_404(Episode.objects.published().prefetch_related("articles"), number=number)
    if not episode.has_chapters:
        return HttpResponse("チャプターはありません。", status=404, content_type="text/plain; charset=utf-8")
    return shared_file(request, transcripts.chapters_json(episode), "application/json+chapters")


def transcript_text(request, number):
    """The script as plain text, for `podcast:transcript` and the episode page."""
    episode = get_object_or_404(Episode.objects.published(), number=number)
    if not episode.has_transcript:
        return HttpResponse("文字起こしはありません。", status=404, content_type="text/plain; charset=utf-8")
    return shared_file(request, episode.transcript, "text/plain; charset=utf-8")


def transcript_vtt(request, number):
    """The script as WebVTT cues, timed by the timeline (or estimated between article starts)."""
    episode = get_object_or_404(
        Episode.objects.published().prefetch_related("articles", "appearances__actor"), number=number
    )
    if not episode.has_timed_transcript:
        return HttpResponse("WebVTT の文字起こしはありません。", status=404, content_type="text/plain; charset=utf-8")
    return shared_file(request, transcripts.webvtt(episode), "text/vtt; charset=utf-8")
