"""Structured data (schema.org JSON-LD) for episode and show pages."""

import json

from django.utils.safestring import mark_safe

from episodes.catalogue.links import absolute_url

# JSON inside <script> must not close the element or open a comment.
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _iso_duration(seconds: float) -> str:
    total = max(1, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


def show_data(show) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.name,
        "description": show.long_description or show.description,
        "url": absolute_url(show.get_absolute_url()),
        "webFeed": show.feed_url,
        "inLanguage": show.language,
        "author": {"@type": "Organization", "name": show.author},
    }
    if show.cover_src:
        data["image"] = absolute_url(show.cover_src)
    return data


def episode_data(episode) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": absolute_url(episode.get_absolute_url()),
        "datePublished": episode.published_at.isoformat(),
        "description": episode.description,
        "episodeNumber": episode.number,
        "inLanguage": "ja",
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": episode.show.name,
            "url": absolute_url(episode.show.get_absolute_url()),
        },
        "actor": [
            {"@type": "Person", "name": a.name, "url": absolute_url(a.get_absolute_url())} for a in episode.actors
        ],
    }
    if episode.audio_src:
        media = {"@type": "AudioObject", "contentUrl": absolute_url(episode.audio_src)}
        media["encodingFormat"] = episode.audio_mime_display
        if episode.audio_duration:
            media["duration"] = _iso_duration(episode.audio_duration)
        data["associatedMedia"] = media
    if episode.image_src:
        data["image"] = absolute_url(episode.image_src)
    return data


def json_ld(data: dict) -> str:
    """A `<script type="application/ld+json">` block, safe to put in a page."""
    text = json.dumps(data, ensure_ascii=False).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # escaped above
