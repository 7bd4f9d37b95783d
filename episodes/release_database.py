"""Give a request's database connections back before its body is sent.

Under ASGI Django closes a request's connections when the response is
finished, that is after its last byte reached the client. A phone fetching
a 20 MB episode at 64 KB/s keeps its request open for five minutes: 200 of
them held 200 PostgreSQL connections (the server allows 100 by default) and
every other request failed. By the time a response leaves the middleware
chain the view has read all it needs; a streaming body that still queries
simply connects again.
"""

from django.core.handlers.asgi import ASGIRequest
from django.db import connections


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
            for connection in connections.all(initialized_only=True):
                # A test's transaction (or a caller's) is not ours to end.
                if not connection.in_atomic_block:
                    connection.close()
        return response
