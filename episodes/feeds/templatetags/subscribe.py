"""`channel|feed_app_links`: the apps that subscribe straight from a show's feed URL (feeds/subscribe_apps.py)."""

from django import template

from episodes.feeds.subscribe_apps import feed_app_links as links_for

register = template.Library()


@register.filter
def feed_app_links(channel) -> list:
    return links_for(channel.feed_url, channel.name)
