"""What the fault tests read off the site: its public addresses, the episodes in a feed."""

import re
from urllib.parse import quote

from .conftest import Site


def public_pages(site: Site) -> list[str]:
    """Every kind of cached public page and every feed, as a listener and a podcast app reach them."""
    home = site.get("/").text
    episodes = sorted(set(re.findall(r'href="(/episode/\d+)"', home)))[:4]
    shows = sorted(set(re.findall(r'href="(/shows/[^"/]+/)"', site.get("/shows/").text)))[:3]
    feeds = ["/feed.xml"] + [f"{show}feed.xml" for show in shows]
    return ["/", "/shows/", "/archive/", "/subscribe/", *episodes, *shows, *feeds]


def numbers_in(feed_xml: str) -> set[int]:
    return {int(n) for n in re.findall(r"<link>[^<]*/episode/(\d+)</link>", feed_xml)}


def quoted(path: str) -> str:
    return quote(path, safe="/?=&%")
