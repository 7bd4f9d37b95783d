"""Every HTML page gzip-compressed (search, letters and 404 pages too, not only the cached ones).

Django's own GZipMiddleware, which pads each body with random bytes against BREACH (the
letters form carries a CSRF token and search echoes the query), limited to HTML: audio
must keep its byte ranges and lengths, and feeds and cached pages bring their own gzip.
"""

from django.middleware.gzip import GZipMiddleware


class HTMLGZipMiddleware(GZipMiddleware):
    """GZipMiddleware for `text/html` responses only."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
