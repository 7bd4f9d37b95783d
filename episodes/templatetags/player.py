"""Filters for the episode player: times as listeners read them and as links carry them."""

from django import template

register = template.Library()


@register.filter
def clock(seconds) -> str:
    """Seconds → `m:ss` or `h:mm:ss`, rounded down as players show them (`#t=` links use it too)."""
    if seconds is None or seconds == "":
        return ""
    whole = int(float(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
