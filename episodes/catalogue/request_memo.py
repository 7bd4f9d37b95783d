"""Values read once per request, such as the station row.

Every episode without an image of its own (and every show without artwork)
falls back to the station's artwork; a list page must not ask the database
for it once per episode. The memo exists only while a view runs (the
middleware sets it and always resets it), so a command, a test or any code
outside a request reads the current row every time.
"""

from contextvars import ContextVar

_memo: ContextVar[dict | None] = ContextVar("zundapod_request_memo", default=None)


def current() -> dict | None:
    """The running request's memo, or None outside a request."""
    return _memo.get()


class RequestMemoMiddleware:
    """Give each request an empty memo, and take it away when the view has answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
