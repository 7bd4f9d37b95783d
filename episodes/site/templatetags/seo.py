"""Template helpers for absolute links and structured data."""

from django import template

from episodes.catalogue.links import absolute_url
from episodes.site import seo

register = template.Library()


@register.filter
def absolute(url: str) -> str:
    """A path or URL made absolute on SITE_URL."""
    return absolute_url(url)


@register.simple_tag
def episode_json_ld(episode):
    return seo.json_ld(seo.episode_data(episode))


@register.simple_tag
def show_json_ld(show):
    return seo.json_ld(seo.show_data(show))
