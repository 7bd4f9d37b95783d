"""Give database connections back as soon as a request no longer needs them.

Under ASGI Django closes a request's connections when the response is
finished, that is after its last byte reached the client. A phone fetching
a 20 MB episode at 64 KB/s keeps its request open for five minutes: 200 of
them held 200 PostgreSQL connections (the server allows 100 by default) and
every other request failed. By the time a response leaves the middleware
chain the view has read all it needs; a streaming body that still queries
simply connects again.

Error pages are the other case. Under ASGI Django renders the page for an
exception (404, 403, 400, 500) in a worker thread that is not the request's
(sync_to_async with thread_sensitive=False), while the request's thread
still holds the connection its lookup used. So the request's connection goes
back when the exception is raised (twenty 404s at once would otherwise each
hold one connection and wait for a second: a pool of ten stalls), and the
error thread's when the page is rendered (no request_finished reaches that
thread: each of its threads kept a connection for good).
"""

from functools import wraps

from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.views import defaults


def release_connections() -> None:
    """Close (or hand back to the pool) this thread's connections, except inside a transaction."""
    for connection in connections.all(initialized_only=True):
        # A test's transaction (or a caller's) is not ours to end.
        if not connection.in_atomic_block:
            connection.close()


class ReleaseDatabaseMiddleware:
    """Outermost: close this request's connections once its response is made (ASGI only).

    Under WSGI the worker thread is held until the last byte anyway, and a
    connection kept for reuse (DB_CONN_MAX_AGE) is worth keeping there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(request, ASGIRequest):
            release_connections()
        return response

    def process_exception(self, request, exception):
        """Before the error page, which renders in another thread and needs a connection of its own."""
        if isinstance(request, ASGIRequest):
            release_connections()


def _releasing(view):
    """Django's error view, then this thread's connections handed back (ASGI: not the request's thread)."""

    @wraps(view)
    def error_view(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        finally:
            if isinstance(request, ASGIRequest):
                release_connections()

    return error_view


bad_request = _releasing(defaults.bad_request)
permission_denied = _releasing(defaults.permission_denied)
page_not_found = _releasing(defaults.page_not_found)
server_error = _releasing(defaults.server_error)
