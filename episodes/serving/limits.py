"""How large a request body each caller may send, decided before anything reads it: the one body-limit layer.

Under ASGI (`make run`) Django reads the whole body into a temporary file
before any middleware runs; under WSGI it spools multipart files as soon as
anything touches `request.POST` (the CSRF check does, before any view). So
the decision is made here, once, from the path, `Content-Length` and who is
calling, for every method (a GET may carry 600 MB too): the ASGI layer
(`wrap`) answers before Django sees the request and counts a body as it
streams; `BodyLimitMiddleware` asks the same `decide` under WSGI. On the
API the bearer token is checked first: without a valid one, 401 and no byte
of the body read. The large upload cap belongs to an authenticated caller
(a valid token on the API, a staff session elsewhere), never to a path.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.http import HttpResponse

from episodes.serving import ready_asgi

# Room in an upload's body beyond its files: multipart boundaries, part headers, the small fields.
FORM_OVERHEAD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Guard:
    """Paths whose callers prove who they are by a header before any body is read (the publishing API).

    The app that owns the paths registers its guard (`guard()`), so this layer knows the rule
    but not the tokens: `refusal(authorization)` is None for a caller that may send the upload
    cap, `may_be_valid(authorization)` says whether deciding needs the database at all, and
    `too_large(limit)` is the owner's own 413.
    """

    prefix: str
    public_paths: frozenset[str]
    refusal: Callable[[str], HttpResponse | None]
    may_be_valid: Callable[[str], bool]
    too_large: Callable[[int], HttpResponse]

    def covers(self, path: str) -> bool:
        return path.startswith(self.prefix) and path not in self.public_paths


GUARDS: list[Guard] = []


def guard(**fields) -> None:
    """Register a guard (the publishing app does, for /api/); registering the same prefix again replaces it."""
    new = Guard(**fields)
    GUARDS[:] = [g for g in GUARDS if g.prefix != new.prefix] + [new]


def guard_for(path: str) -> Guard | None:
    return next((g for g in GUARDS if path.startswith(g.prefix)), None)


@dataclass(frozen=True)
class Caller:
    """Who sends a body; each question is asked only when the decision needs it (no query for a small body)."""

    authorization: str
    is_staff: Callable[[], bool]


def upload_cap() -> int:
    """The most an authenticated caller's body may hold: `MAX_UPLOAD_BYTES` of files plus the form around them."""
    return settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES


def decide(path: str, size: int | None, caller: Caller) -> tuple[HttpResponse | None, int]:
    """The refusal for a body of `size` bytes to `path` (None: sent without a length), else None; and the limit.

    The limit is also what a body sent without a length is cut off at.
    """
    owner = guard_for(path)
    if owner is not None and owner.covers(path):
        refusal = owner.refusal(caller.authorization)  # credentials before the body
        if refusal is not None:
            return _closing(refusal), 0
        limit = upload_cap()
    elif path.startswith("/letters/"):
        limit = settings.LETTERS_MAX_BODY_BYTES
    elif (size is None or size > settings.PUBLIC_MAX_BODY_BYTES) and caller.is_staff():
        limit = upload_cap()  # audio and images through the admin
    else:
        limit = settings.PUBLIC_MAX_BODY_BYTES
    if size is not None and size > limit:
        return too_large(path, limit), limit
    return None, limit


def _declared_size(length: str) -> int | None:
    """Content-Length as a number; more than 18 digits is larger than any limit (and `int()` of 4,300 raises)."""
    length = length.strip()
    if not (length.isascii() and length.isdigit()):
        return None
    return int(length) if len(length) <= 18 else 10**18


def _closing(response: HttpResponse) -> HttpResponse:
    # The rest of the body is not wanted: the server closes instead of reading it to reach the next request.
    response["Connection"] = "close"
    return response


def too_large(path: str, limit: int) -> HttpResponse:
    """The 413 answer: a guarded path's owner's own (the API's JSON error), a short Japanese text elsewhere."""
    owner = guard_for(path)
    if owner is not None:
        return _closing(owner.too_large(limit))
    return _closing(
        HttpResponse(
            f"送信された内容が大きすぎます（{limit // 1024:,} KB まで）。",
            status=413,
            content_type="text/plain; charset=utf-8",
        )
    )


class BodyLimitMiddleware:
    """Under WSGI: `decide` from Content-Length before the body is read (Django reads none without a length).

    Placed after AuthenticationMiddleware (staff may upload audio) and before
    any view; the CSRF check reads the body only in `process_view`, later.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        size = _declared_size(str(request.META.get("CONTENT_LENGTH") or ""))
        if size:
            caller = Caller(request.headers.get("Authorization", ""), lambda: request.user.is_staff)
            refusal, _ = decide(request.path_info, size, caller)
            if refusal is not None:
                return refusal
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


def _has_body(headers: dict, size: int | None) -> bool:
    return bool(size) or (size is None and (b"content-length" in headers or b"transfer-encoding" in headers))


def _needs_lookup(authorization: str, headers: dict) -> bool:
    """Whether deciding asks the database: a token that could be ours, or a session that could be staff."""
    if any(g.may_be_valid(authorization) for g in GUARDS):
        return True
    return settings.SESSION_COOKIE_NAME in ready_asgi.request_cookies(headers)


def wrap(app):
    """`app` (Django's ASGI application) behind the body limits, for every method."""

    async def application(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = dict(scope["headers"])
        size = _declared_size(headers.get(b"content-length", b"").decode("latin-1"))
        if not _has_body(headers, size):
            return await app(scope, receive, send)
        path = scope["path"]
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        caller = Caller(authorization, lambda: _staff_session(headers))
        if _needs_lookup(authorization, headers):
            refusal, limit = await sync_to_async(decide)(path, size, caller)
        else:
            # Nobody to look up: decided in this very step, before the server reads on into the body.
            refusal, limit = decide(path, size, caller)
        if refusal is not None:
            return await _send_response(send, refusal)
        # Counted as it arrives (a declared length is kept by the server; a chunked body is not), cut off past the limit.
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
