"""How large a request body each kind of request may send, refused before anything reads it.

Django spools multipart files to disk as soon as anything touches
`request.POST` (the CSRF check does, before any view runs), so a 100 MB
anonymous POST to `/letters/` used to land in a temporary file first. This
middleware answers 413 from `Content-Length` alone. A body sent without a
length (chunked) is not read by Django at all.
"""

from django.conf import settings
from django.http import HttpResponse

FORM_OVERHEAD_BYTES = 1024 * 1024


def body_limit(request) -> int | None:
    """The most bytes this request may send, or None where the view enforces its own (the API)."""
    path = request.path_info
    if path.startswith("/api/"):
        return None  # the publishing API checks its documented maximum itself, before reading, and answers JSON
    if path.startswith("/letters/"):
        return settings.LETTERS_MAX_BODY_BYTES
    if request.user.is_staff:
        return settings.API_MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES  # audio and images through the admin
    return settings.PUBLIC_MAX_BODY_BYTES


class BodyLimitMiddleware:
    """413 for a body larger than its route allows, decided from Content-Length before the body is read.

    Placed after AuthenticationMiddleware (staff may upload audio) and before
    any view; the CSRF check reads the body only in `process_view`, later.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = str(request.META.get("CONTENT_LENGTH") or "").strip()
        # Django reads no body when the length is not a number; a number longer than
        # 18 digits is larger than any limit (and `int()` of 4,300 digits raises).
        if length.isascii() and length.isdigit():
            size = int(length) if len(length) <= 18 else 10**18
            # Small bodies pass without looking up who sends them (no session query).
            small = min(settings.LETTERS_MAX_BODY_BYTES, settings.PUBLIC_MAX_BODY_BYTES)
            limit = body_limit(request) if size > small else None
            if limit is not None and size > limit:
                return HttpResponse(
                    f"送信された内容が大きすぎます（{limit // 1024:,} KB まで）。",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
