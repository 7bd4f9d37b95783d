"""The API's rule for request bodies, given to the one body-limit layer (serving/limits.py) at start-up.

A body to the API is read only from a caller with an active token: without one, the
401 goes out before a byte of the body is read.
"""

from django.conf import settings
from django.http import HttpResponse

from episodes.publishing.api.errors import ApiError
from episodes.publishing.api.views import bearer_token
from episodes.publishing.models.api import well_formed_secret

# API paths anyone may call (the published description); every other /api/ body needs a token first.
PUBLIC_API_PATHS = frozenset({"/api/v1/openapi.json"})


def refusal(authorization: str) -> HttpResponse | None:
    """The API's 401 for these credentials, or None for an active token."""
    try:
        bearer_token(authorization)
    except ApiError as error:
        return error.response()
    return None


def may_be_valid(authorization: str) -> bool:
    """Whether the header could name one of our tokens (only then is the database asked)."""
    scheme, _, secret = authorization.partition(" ")
    return scheme.lower() == "bearer" and well_formed_secret(secret.strip())


def too_large(limit: int) -> HttpResponse:
    return ApiError("upload_too_large", max_upload_bytes=settings.MAX_UPLOAD_BYTES).response()
