"""Absolute links on the public origin, for feeds, guids and social cards."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri

# Names that never leave one machine or one network (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal).
PRIVATE_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".invalid")


def is_external(url: str) -> bool:
    """True for an absolute http(s) URL (a file that lives elsewhere); False for a site path."""
    return url.startswith(("http://", "https://"))


def absolute_url(url: str) -> str:
    """Make a site path absolute on SITE_URL; percent-encode non-ASCII (IRI → URI)."""
    if not url:
        return ""
    if not is_external(url):
        url = settings.SITE_URL + ("" if url.startswith("/") else "/") + url
    return iri_to_uri(url)


def is_public_origin(url: str) -> bool:
    """Whether an origin may name things forever (guids, podcast:guid): not loopback, localhost or a LAN name.

    Judged by the name alone, with no DNS lookup. `*.example.com` passes: the
    demo and the tests use it as their public origin.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(PRIVATE_NAME_SUFFIXES):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host  # a single label only resolves inside one network
