"""Absolute links on the public origin, for feeds, guids and social cards."""

from django.conf import settings
from django.utils.encoding import iri_to_uri


def absolute_url(url: str) -> str:
    """Make a site path absolute on SITE_URL; percent-encode non-ASCII (IRI → URI)."""
    if not url:
        return ""
    if not url.startswith(("http://", "https://")):
        url = settings.SITE_URL + ("" if url.startswith("/") else "/") + url
    return iri_to_uri(url)
