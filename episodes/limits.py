"""How large a request body each kind of request may send, refused before anything reads it.

Under ASGI (`make run`) Django reads the whole body into a temporary file
before any middleware runs; under WSGI it spools multipart files as soon as
anything touches `request.POST` (the CSRF check does, before any view). So a
100 MB anonymous POST to `/letters/` used to land on disk first. The ASGI
layer (`wrap`) answers 413 from `Content-Length` before Django sees the
request, and stops a body sent without a length once it passes the limit;
`BodyLimitMiddleware` does the same under WSGI (where Django reads no body
without a length).
"""

from collections.abc import Callable
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.http import HttpResponse

from . import ready_asgi

FORM_OVERHEAD_BYTES = 1024 * 1024


def body_limit(path: str, is_staff: Callable[[], bool]) -> int:
    """The most bytes a request to `path` may send; `is_staff` is asked only where it matters."""
    if path.startswith("/api/"):
        return settings.API_MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES  # the API's documented maximum
    if path.startswith("/letters/"):
        return settings.LETTERS_MAX_BODY_BYTES
    if is_staff():
        return settings.API_MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES  # audio and images through the admin
    return settings.PUBLIC_MAX_BODY_BYTES


def _small() -> int:
    # Bodies up to this pass without looking up who sends them (no session query).
    return min(settings.LETTERS_MAX_BODY_BYTES, settings.PUBLIC_MAX_BODY_BYTES)


def _declared_size(length: str) -> int | None:
    """Content-Length as a number; more than 18 digits is larger than any limit (and `int()` of 4,300 raises)."""
    length = length.strip()
    if not (length.isascii() and length.isdigit()):
        return None
    return int(length) if len(length) <= 18 else 10**18


def too_large(path: str, limit: int) -> HttpResponse:
    """The 413 answer: the API's JSON error on the API, a short Japanese text elsewhere."""
    if path.startswith("/api/"):
        from .api.errors import ApiError  # the API's one table of answers

        return ApiError("upload_too_large", max_upload_bytes=settings.API_MAX_UPLOAD_BYTES).response()
    return HttpResponse(
        f"送信された内容が大きすぎます（{limit // 1024:,} KB まで）。",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


class BodyLimitMiddleware:
    """Under WSGI: 413 for a body larger than its route allows, decided from Content-Length before it is read.

    Placed after AuthenticationMiddleware (staff may upload audio) and before
    any view; the CSRF check reads the body only in `process_view`, later.
    The API's view checks its own limit before reading and answers in JSON.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        size = _declared_size(str(request.META.get("CONTENT_LENGTH") or ""))
        path = request.path_info
        if size is not None and size > _small() and not path.startswith("/api/"):
            limit = body_limit(path, lambda: request.user.is_staff)
            if size > limit:
                return too_large(path, limit)
        return self.get_response(request)


# --- under ASGI -------------------------------------------------------------------------------


def _staff_session(headers: dict) -> bool:
    """Whether the request's session cookie belongs to an active staff user (one or two queries)."""
    session_key = ready_asgi.request_cookies(headers).get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user_id = session.get(SESSION_KEY)
    return bool(user_id) and get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True).exists()


async def _send_response(send, response: HttpResponse) -> None:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})


def wrap(app):
    """`app` (Django's ASGI application) behind the body limits."""

    async def application(scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await app(scope, receive, send)
        headers = dict(scope["headers"])
        path = scope["path"]
        size = _declared_size(headers.get(b"content-length", b"").decode("latin-1"))
        if size is not None:
            if size > _small():
                limit = await sync_to_async(body_limit)(path, lambda: _staff_session(headers))
                if size > limit:
                    return await _send_response(send, too_large(path, limit))
            return await app(scope, receive, send)
        # No length (chunked): counted as it arrives, cut off past the limit.
        limit = await sync_to_async(body_limit)(path, lambda: _staff_session(headers))
        state = {"received": 0, "over": False, "started": False}

        async def counting_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}  # Django stops reading and drops what it spooled
            return message

        async def watching_send(message):
            state["started"] = True
            await send(message)

        await app(scope, counting_receive, watching_send)
        if state["over"] and not state["started"]:
            await _send_response(send, too_large(path, limit))

    return application
