"""The publishing API's views and their frame: methods, bearer token, Idempotency-Key, publishing.

Kept apart from receiving the upload (uploads.py) and encoding answers
(errors.py) so the request's path reads top to bottom: authenticate, read the
upload, prepare the post (its show resolved once), check the token against
that show, claim the key, publish once, answer.
"""

import logging
import re
from functools import cache, wraps
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from episodes.catalogue.models import Episode
from episodes.media.audio import AudioError
from episodes.media.pending_uploads import NO_ROOM
from episodes.publishing.api.errors import ERRORS, ApiError, episode_json, json_response
from episodes.publishing.api.uploads import Submission, max_upload_bytes, read_submission, receive
from episodes.publishing.importers.archive import PreparedPost
from episodes.publishing.importers.catalogue import Catalogue, ShowUnknown, learn_catalogue
from episodes.publishing.importers.files import SiteFiles
from episodes.publishing.importers.jekyll import PostError
from episodes.publishing.models import ApiToken, IdempotencyRecord
from episodes.publishing.publish import CREATED, ContentConflict, prepare_post, publish_post

# Named as before the split into a package, so log lines and any filter on them stay the same.
logger = logging.getLogger("episodes.publishing.api")

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# The description stays beside the app's other data files, one level above this package.
OPENAPI_PATH = Path(__file__).parent.with_name("openapi.json")


# --- the views' frame: methods, token, errors -----------------------------------------------


def authenticate(request) -> ApiToken:
    """The active token of `Authorization: Bearer <secret>`, or a 401."""
    token = bearer_token(request.headers.get("Authorization", ""))
    token.touch()
    return token


def bearer_token(header: str) -> ApiToken:
    """The active token an Authorization header names, or a 401; also asked by limits.py before any body."""
    if not header:
        raise ApiError("token_missing")
    scheme, _, secret = header.partition(" ")
    token = ApiToken.objects.for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ApiError("token_invalid")
    if not token.is_active:
        raise ApiError("token_revoked")
    return token


def api_view(*methods: str, auth: bool = True):
    """Allowed methods, the bearer token (passed as `token`) and JSON for every error."""

    def decorator(view):
        @csrf_exempt  # token-authenticated, never cookie-authenticated: see the module docstring
        # An Idempotency-Key's claim must commit at once to be seen by a concurrent retry.
        @transaction.non_atomic_requests
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError("method_not_allowed", headers={"Allow": ", ".join(methods)}, method=request.method)
                if auth:
                    kwargs["token"] = authenticate(request)
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error.response()
            except OSError as exc:
                if exc.errno not in NO_ROOM:
                    logger.exception("publishing API: %s %s failed", request.method, request.path)
                    return ApiError("internal_error").response()
                # A full media or temporary disk: publishing rolled back and removed what it wrote.
                logger.error("publishing API: %s %s: the storage is full (%s)", request.method, request.path, exc)
                return ApiError("storage_full", headers={"Retry-After": "300"}).response()
            except Exception:
                logger.exception("publishing API: %s %s failed", request.method, request.path)
                return ApiError("internal_error").response()

        return wrapper

    return decorator


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ApiError("idempotency_key_invalid")
    return key


# --- publishing -----------------------------------------------------------------------------


def _publish_once(prepared: PreparedPost, catalogue: Catalogue, submission: Submission, record) -> tuple[int, dict]:
    # The answer is stored in the same transaction as the episode: both land, or neither.
    with transaction.atomic():
        outcome = publish_post(
            prepared,
            catalogue=catalogue,
            site=SiteFiles(),  # an uploaded post has no site folder: its images stay URLs
            draft=submission.draft,
            overwrite=submission.overwrite,
            refuse_changes=True,
        )
        status = 201 if outcome.status == CREATED else 200
        body = episode_json(outcome.episode, outcome)
        if record is not None:
            record.complete(status, body)
    return status, body


def _publish(prepared: PreparedPost, catalogue: Catalogue, submission: Submission, record) -> tuple[int, dict]:
    try:
        return _publish_once(prepared, catalogue, submission, record)
    except IntegrityError:
        # Another request wrote this number between the check and the write (SQLite
        # queues writers, PostgreSQL does not); again, an identical post is "unchanged".
        return _publish_once(prepared, catalogue, submission, record)


def _answer_retry(record: IdempotencyRecord, fingerprint: str) -> JsonResponse:
    if record.fingerprint != fingerprint:
        raise ApiError("idempotency_key_reused")
    if record.in_progress:
        raise ApiError("request_in_progress", headers={"Retry-After": "5"})
    return json_response(record.body, 200, {"Idempotent-Replayed": "true"})


def _publish_upload(submission: Submission, token: ApiToken, key: str) -> JsonResponse:
    post, files = read_submission(submission)
    catalogue = learn_catalogue([post])  # no _config.yml, no show map: the title or the voice's show
    try:
        prepared = prepare_post(post, catalogue=catalogue, files=files, publish_at=submission.publish_at)
    except ShowUnknown as exc:
        raise ApiError("show_unknown", file=post.path.name) from exc
    if not token.allows_show(prepared.show_name):
        raise ApiError("show_not_allowed", show=prepared.show_name)
    # The number may already belong to another show's episode: the token must cover that one too.
    existing = Episode.objects.filter(number=post.serial).select_related("show").first()
    if existing is not None and not token.allows_show(existing.show.name):
        raise ApiError("show_not_allowed", show=existing.show.name)
    record = None
    if key:
        record, ours = IdempotencyRecord.objects.claim(token=token, key=key, fingerprint=submission.fingerprint)
        if not ours:
            return _answer_retry(record, submission.fingerprint)
    try:
        status, body = _publish(prepared, catalogue, submission, record)
    except ContentConflict as exc:
        raise ApiError("content_conflict", number=post.serial) from exc
    finally:
        if record is not None:
            record.release()  # a no-op once the answer is stored; after an error a retry runs afresh
    headers = {"Location": reverse("api:episode", kwargs={"number": body["number"]})} if status == 201 else None
    return json_response(body, status, headers)


# --- views ----------------------------------------------------------------------------------


@api_view("POST")
def publish(request, *, token: ApiToken):
    """POST /api/v1/episodes: publish the pipeline's post with its MP3, script and timeline."""
    key = _idempotency_key(request)
    if not (token.all_shows or token.shows.all()):
        # Scope before work: a token that may publish nowhere gets no body read and no post parsed.
        raise ApiError("show_not_allowed", show="（なし）")
    submission = receive(request)
    try:
        return _publish_upload(submission, token, key)
    except PostError as exc:
        if isinstance(exc.__cause__, AudioError):
            raise ApiError("audio_unreadable", message_ja=exc.reason, field="audio") from exc
        if isinstance(exc.__cause__, UnicodeDecodeError):
            raise ApiError("script_invalid", field="script") from exc
        raise ApiError("post_invalid", message_ja=str(exc), file=exc.path.name, line=exc.line) from exc
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        fields = {name: [str(message) for message in messages] for name, messages in fields.items()}
        summary = " ".join(message for messages in fields.values() for message in messages)
        message = f"{ERRORS['validation_failed'][1]}{summary}"
        raise ApiError("validation_failed", message_ja=message, fields=fields) from exc


@api_view("GET")
def episode(request, number: int, *, token: ApiToken):
    """GET /api/v1/episodes/<number>: how an episode stands now."""
    found = Episode.objects.for_page().filter(number=number).first()
    if found is None:
        raise ApiError("episode_not_found", number=number)
    if not token.allows_show(found.show.name):
        raise ApiError("show_not_allowed", show=found.show.name)
    return json_response(episode_json(found))


@api_view("GET")
def health(request, *, token: ApiToken):
    """GET /api/v1/health: the pipeline's pre-flight; it needs a valid token, so it tests that too."""
    return json_response(
        {
            "status": "ok",
            "token": {
                "name": token.name,
                "all_shows": token.all_shows,
                "shows": [{"slug": show.slug, "name": show.name} for show in token.shows.all()],
            },
            "max_upload_bytes": max_upload_bytes(),
            "server_time": timezone.localtime().isoformat(),
        }
    )


@cache
def _openapi_document() -> bytes:
    return OPENAPI_PATH.read_bytes()


@api_view("GET", auth=False)
def openapi(request):
    """GET /api/v1/openapi.json: the API's description (public: it holds nothing a token protects)."""
    return HttpResponse(_openapi_document(), content_type="application/json")
