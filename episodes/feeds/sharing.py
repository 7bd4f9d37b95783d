"""Files other sites' players fetch (chapters, transcripts): CORS, an ETag and 304.

In-browser players read chapters and transcripts from another origin, which
the browser allows only with `Access-Control-Allow-Origin`; the namespace's
transcript guidance asks for it. Nothing here is private, so any origin may.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control


def shared_file(request, body: str, content_type: str) -> HttpResponse:
    """A public, cacheable response any origin may read, answered with 304 when unchanged."""
    data = body.encode()
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(data, content_type=content_type)
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=settings.FEED_MAX_AGE)
    return response
