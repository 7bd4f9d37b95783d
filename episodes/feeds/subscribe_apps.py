"""Subscribe links for the podcast apps that take a feed URL directly (no directory listing needed).

Each app's own documented link form (AntennaPod's deeplink page, the URL schemes Pocket Casts,
Overcast and Podcast Addict register, as the Podlove Subscribe Button's client list records
them); the apps a show is *listed* in (Apple, Spotify, …) come from the show's fields.
"""

from typing import NamedTuple
from urllib.parse import quote, urlencode


class AppLink(NamedTuple):
    key: str
    label: str
    url: str


def feed_app_links(feed_url: str, title: str) -> list[AppLink]:
    """One link per app that subscribes from the feed URL, in the order Japanese listeners most use them."""
    bare = feed_url.split("://", 1)[-1]
    return [
        AppLink("pocketcasts", "Pocket Casts", f"pktc://subscribe/{quote(bare, safe='/:%')}"),
        AppLink("overcast", "Overcast", "overcast://x-callback-url/add?" + urlencode({"url": feed_url})),
        AppLink(
            "antennapod",
            "AntennaPod",
            "https://antennapod.org/deeplink/subscribe?" + urlencode({"url": feed_url, "title": title}),
        ),
        AppLink("podcastaddict", "Podcast Addict", f"podcastaddict://{quote(bare, safe='/:%')}"),
    ]
