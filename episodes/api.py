"""The publishing API for the production pipeline: plain Django views, JSON in and out.

POST /api/v1/episodes takes the pipeline's post with its MP3, script and
timeline as multipart/form-data and publishes it through
`episodes.publishing.publish_post_file`, exactly as `manage.py publish_episode`
does: the uploads are laid out in a temporary folder under the names the post
expects, and the folder is removed afterwards whatever happened.
GET /api/v1/episodes/<number> and GET /api/v1/health let the pipeline check
its work and its token; /api/v1/openapi.json describes all of it.

Every request except the description carries `Authorization: Bearer <token>`
(`episodes.models.ApiToken`). These views never read a session cookie, which
is why they, and nothing else on the site, are exempt from CSRF: a browser
does not attach a bearer token to a forged cross-site request by itself.

Uploads stream to temporary files (never memory), are hashed as they arrive
(to recognise a retry under the same Idempotency-Key) and stop at the
`API_MAX_UPLOAD_BYTES` setting.
"""

import hashlib
import json
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from .audio import AudioError
from .importers.archive import CREATED, ArchiveImporter, ContentConflict, Outcome
from .importers.jekyll import Post, PostError, parse_post
from .links import absolute_url
from .models import ApiToken, Episode, IdempotencyRecord
from .publishing import publish_post_file

logger = logging.getLogger(__name__)

# Room in a request body beyond its files: multipart boundaries, part headers, the small fields.
FORM_OVERHEAD_BYTES = 1024 * 1024
FILE_FIELDS = ("post", "audio", "script", "timeline")
VALUE_FIELDS = ("publish_at", "draft", "overwrite")
BOOLEANS = {"": False, "0": False, "false": False, "no": False, "off": False}
BOOLEANS |= {"1": True, "true": True, "yes": True, "on": True}
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
OPENAPI_PATH = Path(__file__).with_name("openapi.json")


def max_upload_bytes() -> int:
    """The most bytes of files one request may upload: the `API_MAX_UPLOAD_BYTES` setting."""
    return settings.API_MAX_UPLOAD_BYTES


# --- answers --------------------------------------------------------------------------


def json_response(data: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, headers=headers, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


# Every error the API answers: code -> (status, Japanese, English); `{name}` comes from the details.
ERRORS = {
    "multipart_required": (400, "multipart/form-data で送ってください。", "Send multipart/form-data."),
    "multipart_invalid": (400, "multipart の本文を読めません。", "The multipart body is malformed."),
    "field_unknown": (400, "知らない項目があります: {field}", "Unknown fields: {field}"),
    "field_repeated": (400, "2回以上ある項目があります: {field}", "Fields sent more than once: {field}"),
    "field_invalid": (400, "{field} の値 {value!r} を読めません（{expected}）。", "{field} cannot be read: {value!r}."),
    "idempotency_key_invalid": (
        400,
        "Idempotency-Key は 255 文字までの ASCII の英数字と記号にしてください。",
        "Idempotency-Key must be 1-255 visible ASCII characters.",
    ),
    "post_missing": (400, "投稿ファイル（post）がありません。", "The post file (field `post`) is missing."),
    "post_invalid": (400, "投稿を読めません。", "The post cannot be published: see file, line and message_ja."),
    "audio_missing": (400, "音声ファイル（audio）がありません。", "The MP3 (field `audio`) is missing."),
    "audio_not_expected": (
        400,
        "投稿の音声は外部の URL です。MP3 は送らないでください。",
        "The post's audio is an external URL: do not upload an MP3.",
    ),
    "script_invalid": (400, "台本（script）を UTF-8 として読めません。", "The script is not UTF-8."),
    "show_unknown": (
        400,
        "投稿の番組を決められません（タイトルを「<番組名> podcast YYYYMMDD」にしてください）。",
        "The post's show cannot be told from its title (`<show> podcast YYYYMMDD`).",
    ),
    "validation_failed": (
        400,
        "投稿の内容がエピソードの規則に合いません。",
        "The post breaks the episode's rules: see fields.",
    ),
    "token_missing": (
        401,
        "Authorization: Bearer <トークン> が必要です。",
        "Authorization: Bearer <token> is required.",
    ),
    "token_invalid": (401, "トークンが正しくありません。", "The token is not valid."),
    "token_revoked": (401, "このトークンは無効にされています。", "This token has been revoked."),
    "show_not_allowed": (
        403,
        "このトークンでは番組「{show}」を扱えません。",
        "This token may not use the show {show!r}.",
    ),
    "episode_not_found": (404, "番号 {number} のエピソードはありません。", "There is no episode {number}."),
    "method_not_allowed": (405, "{method} は使えません。", "{method} is not allowed here."),
    "content_conflict": (
        409,
        "番号 {number} のエピソードは別の内容ですでにあります（置き換えるなら overwrite=true）。",
        "Episode {number} already exists with different content (send overwrite=true to replace it).",
    ),
    "idempotency_key_reused": (
        409,
        "この Idempotency-Key は別の内容のリクエストで使われています。",
        "This Idempotency-Key was used for a request with different content.",
    ),
    "request_in_progress": (
        409,
        "同じ Idempotency-Key のリクエストを処理中です。少し待ってから再送してください。",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ),
    "length_required": (
        411,
        "Content-Length が必要です（chunked 転送には対応していません）。",
        "Content-Length is required (chunked uploads are not supported).",
    ),
    "upload_too_large": (
        413,
        "アップロードが上限（{max_upload_bytes} バイト）を超えています。",
        "The upload is over the limit of {max_upload_bytes} bytes.",
    ),
    "audio_unreadable": (
        415,
        "MP3 または M4A の音声として読めません。",
        "The audio is not an MP3 or M4A file mutagen can read.",
    ),
    "internal_error": (500, "サーバーでエラーが起きました。", "The server failed."),
}


class ApiError(Exception):
    """An error answer: a status, a machine-readable code, and what went wrong in Japanese and English."""

    def __init__(self, code: str, *, message_ja: str = "", headers: dict | None = None, **details):
        super().__init__(code)
        self.status, message, english = ERRORS[code]
        self.code, self.headers, self.details = code, headers or {}, details
        self.message_ja, self.message_en = message_ja or message.format(**details), english.format(**details)
        if self.status == 401:
            self.headers["WWW-Authenticate"] = 'Bearer realm="zundapod"' + (
                "" if code == "token_missing" else ', error="invalid_token"'
            )

    def response(self) -> JsonResponse:
        body = {"code": self.code, "message_ja": self.message_ja, "message_en": self.message_en, **self.details}
        return json_response(body, self.status, self.headers)


def episode_json(episode: Episode, outcome: Outcome | None = None) -> dict:
    """What the API says about an episode; a publish adds what happened and its warnings."""
    state = "scheduled" if episode.is_scheduled else "published"
    if episode.status == Episode.Status.DRAFT:
        state = "draft"
    warnings = [{"code": code, "message": message} for code, message in (outcome.warnings if outcome else [])]
    if episode.feed_problem:
        warnings.append({"code": "not_in_feed", "message": episode.feed_problem})
    articles = list(episode.articles.all())
    data = {
        "number": episode.number,
        "title": episode.title,
        "show": {"slug": episode.show.slug, "name": episode.show.name},
        "url": absolute_url(episode.get_absolute_url()),
        "guid": episode.guid,
        "status": state,
        "published_at": timezone.localtime(episode.published_at).isoformat(),
        "audio": {
            "url": absolute_url(episode.audio_src) or None,
            "size": episode.audio_size,
            "duration": episode.audio_duration,
            "mime_type": episode.audio_mime_type or None,
        },
        "articles": len(articles),
        "chapters": sum(article.start_seconds is not None for article in articles),
        "transcript": bool(episode.transcript),
        "warnings": warnings,
    }
    if outcome is not None:
        data["result"] = outcome.status
    return data


# --- the views' frame: methods, token, errors -----------------------------------------------


def authenticate(request) -> ApiToken:
    """The active token of `Authorization: Bearer <secret>`, or a 401."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError("token_missing")
    scheme, _, secret = header.partition(" ")
    token = ApiToken.objects.for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ApiError("token_invalid")
    if not token.is_active:
        raise ApiError("token_revoked")
    token.touch()
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
            except Exception:
                logger.exception("publishing API: %s %s failed", request.method, request.path)
                return ApiError("internal_error").response()

        return wrapper

    return decorator


# --- receiving the upload -------------------------------------------------------------------


class StreamingUploadHandler(TemporaryFileUploadHandler):
    """Writes every file to a temporary file (never memory), hashes it, and stops past the limit."""

    chunk_size = 1024 * 1024

    def __init__(self, request, *, limit: int):
        super().__init__(request)
        self.limit, self.received, self.too_large = limit, 0, False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=True)  # stop reading: the rest of the body is not wanted
        self.sha256.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.sha256 = self.sha256.hexdigest()
        return upload


@dataclass
class Submission:
    """One POST's files (on disk) and values."""

    post: UploadedFile | None
    audio: UploadedFile | None
    script: UploadedFile | None
    timeline: UploadedFile | None
    publish_at: datetime | None
    draft: bool
    overwrite: bool

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the files' names and bytes and of the values: equal for a faithful retry."""
        parts = {name: [f.name, f.sha256] if (f := getattr(self, name)) else None for name in FILE_FIELDS}
        parts |= {
            "publish_at": self.publish_at.astimezone(UTC).isoformat() if self.publish_at else None,
            "draft": self.draft,
            "overwrite": self.overwrite,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ApiError("idempotency_key_invalid")
    return key


def _boolean(data, name: str) -> bool:
    value = data.get(name, "")
    if value.strip().lower() not in BOOLEANS:
        raise ApiError("field_invalid", field=name, value=value, expected="true か false")
    return BOOLEANS[value.strip().lower()]


def _moment(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise ApiError("field_invalid", field="publish_at", value=value, expected="ISO 8601 の日時")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _receive(request) -> Submission:
    """Read the multipart body, refusing it early when it is too large, malformed or unexpected."""
    limit = max_upload_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length < 0:
        raise ApiError("length_required")
    if length > limit + FORM_OVERHEAD_BYTES:
        raise ApiError("upload_too_large", max_upload_bytes=limit)  # before reading a byte of the body
    if request.content_type != "multipart/form-data":
        raise ApiError("multipart_required")
    handler = StreamingUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    try:
        data, files = request.POST, request.FILES
    except RequestDataTooBig as exc:
        raise ApiError("upload_too_large", max_upload_bytes=limit) from exc
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise ApiError("multipart_invalid") from exc
    if handler.too_large:
        raise ApiError("upload_too_large", max_upload_bytes=limit)
    if unknown := sorted((set(data) - set(VALUE_FIELDS)) | (set(files) - set(FILE_FIELDS))):
        raise ApiError("field_unknown", field=", ".join(unknown))
    if repeated := sorted(name for name in {*data, *files} if len(data.getlist(name) + files.getlist(name)) > 1):
        raise ApiError("field_repeated", field=", ".join(repeated))
    if "post" not in files:
        raise ApiError("post_missing", field="post")
    return Submission(
        **{name: files.get(name) for name in FILE_FIELDS},
        publish_at=_moment(data.get("publish_at", "")),
        draft=_boolean(data, "draft"),
        overwrite=_boolean(data, "overwrite"),
    )


# --- laying the files out as publish_episode expects them -------------------------------------


def _plain_name(name: str) -> bool:
    return bool(name) and name not in {".", ".."} and not any(c in name for c in "/\\\x00")


def _move(upload: UploadedFile, target: Path) -> Path:
    # Within one file system a rename: the bytes are not copied again.
    shutil.move(upload.temporary_file_path(), target)
    upload.close()
    return target


def _lay_out(submission: Submission, folder: Path) -> tuple[Path, Post, Path | None]:
    """Put the post, and the MP3, script and timeline under the names the post gives; parse the post."""
    folder.mkdir()  # the post's folder, inside a private temporary one: no _config.yml near
    post_path = _move(submission.post, folder / submission.post.name)
    post = parse_post(post_path)
    external = post.audio_path.startswith(("http://", "https://"))
    audio_name, stem = post.audio_filename, post.audio_stem
    names = [f"{stem}.txt", f"{stem}.json"] + ([] if external else [audio_name])
    usable = len({*names, post_path.name}) == len(names) + 1 and all(_plain_name(name) for name in names)
    if not post.audio_path or not usable:
        raise PostError(post_path, None, f"audio_file_path を使えません: {post.audio_path!r}")
    if external and submission.audio:
        raise ApiError("audio_not_expected", field="audio")
    if not external and not submission.audio:
        raise ApiError("audio_missing", field="audio")
    audio = _move(submission.audio, folder / audio_name) if submission.audio else None
    if submission.script:
        _move(submission.script, folder / f"{stem}.txt")
    if submission.timeline:
        _move(submission.timeline, folder / f"{stem}.json")
    return post_path, post, audio


def _show_name(post: Post) -> str | None:
    # The importer publish_post_file builds for an uploaded post (no _config.yml, no show map).
    importer = ArchiveImporter()
    importer.learn_hosts([post])
    try:
        return importer.show_name_for(post)
    except PostError:  # a special whose voice hosts no show
        return None


# --- publishing -----------------------------------------------------------------------------


def _publish_once(post_path: Path, audio: Path | None, submission: Submission, record) -> tuple[int, dict]:
    # The answer is stored in the same transaction as the episode: both land, or neither.
    with transaction.atomic():
        outcome = publish_post_file(
            post_path,
            audio=audio,
            publish_at=submission.publish_at,
            draft=submission.draft,
            overwrite=submission.overwrite,
        )
        status = 201 if outcome.status == CREATED else 200
        body = episode_json(outcome.episode, outcome)
        if record is not None:
            record.complete(status, body)
    return status, body


def _publish(post_path: Path, audio: Path | None, submission: Submission, record) -> tuple[int, dict]:
    try:
        return _publish_once(post_path, audio, submission, record)
    except IntegrityError:
        # Another request wrote this number between the importer's check and its write
        # (SQLite queues writers, PostgreSQL does not); again, an identical post is "unchanged".
        return _publish_once(post_path, audio, submission, record)


def _answer_retry(record: IdempotencyRecord, fingerprint: str) -> JsonResponse:
    if record.fingerprint != fingerprint:
        raise ApiError("idempotency_key_reused")
    if record.in_progress:
        raise ApiError("request_in_progress", headers={"Retry-After": "5"})
    return json_response(record.body, 200, {"Idempotent-Replayed": "true"})


def _publish_upload(submission: Submission, folder: Path, token: ApiToken, key: str) -> JsonResponse:
    post_path, post, audio = _lay_out(submission, folder)
    show = _show_name(post)
    if show is None:
        raise ApiError("show_unknown", file=post_path.name)
    if not token.allows_show(show):
        raise ApiError("show_not_allowed", show=show)
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
        status, body = _publish(post_path, audio, submission, record)
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
    submission = _receive(request)
    with tempfile.TemporaryDirectory(prefix="zundapod-api-", dir=settings.FILE_UPLOAD_TEMP_DIR) as folder:
        try:
            return _publish_upload(submission, Path(folder) / "upload", token, key)
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
