"""Filters for the episode player: times as listeners read them and as links carry them."""

import json

from django import template
from django.conf import settings
from django.utils.http import urlencode

from episodes.media.audio import format_duration

register = template.Library()


@register.filter
def clock(seconds) -> str:
    """Seconds → `m:ss` or `h:mm:ss`, rounded down as players show them (`#t=` links use it too)."""
    if seconds is None or seconds == "":
        return ""
    return format_duration(float(seconds))


@register.simple_tag
def x_share_query(text: str, url: str) -> str:
    """The query of X's post intent: the text, the link and the station's hashtag (SITE_HASHTAG)."""
    fields = {"text": text, "url": url}
    if settings.SITE_HASHTAG:
        fields["hashtags"] = settings.SITE_HASHTAG
    return urlencode(fields)


@register.simple_tag
def chapter_marks(articles) -> str:
    """The articles with a start time as JSON `[[seconds, title], …]`, for the player's data-chapters."""
    return json.dumps(
        [[round(article.start_seconds, 3), article.title] for article in articles if article.start_seconds is not None],
        ensure_ascii=False,
    )
