"""Receiving the publishing API's upload: the multipart body streamed to disk, then read.

Kept apart from the views because this is the part that touches files: the
body is refused early when too large or malformed, every file is hashed as it
arrives (so a retry can be recognised, and the MP3 is not hashed again), and
the post is parsed once from where it was streamed, its files handed to the
publishing service as they lie.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from episodes.catalogue.bounds import FIRST_YEAR, LAST_YEAR, is_sane_moment
from episodes.media.remote_http import is_external
from episodes.publishing.api.errors import ApiError
from episodes.publishing.importers.jekyll import Post, PostError, parse_post
from episodes.publishing.importers.timeline import TimelineError, read_timeline
from episodes.publishing.publish import PostFiles

FILE_FIELDS = ("post", "audio", "script", "timeline")
VALUE_FIELDS = ("publish_at", "draft", "overwrite")
BOOLEANS = {"": False, "0": False, "false": False, "no": False, "off": False}
BOOLEANS |= {"1": True, "true": True, "yes": True, "on": True}


def max_upload_bytes() -> int:
    """The most bytes of files one request may upload: the `MAX_UPLOAD_BYTES` setting."""
    return settings.MAX_UPLOAD_BYTES


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
    if moment is None or not is_sane_moment(moment):
        raise ApiError(
            "field_invalid", field="publish_at", value=value, expected=f"ISO 8601 の日時、{FIRST_YEAR}〜{LAST_YEAR} 年"
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def receive(request) -> Submission:
    """Read the multipart body, refusing it early when it is too large, malformed or unexpected."""
    limit = max_upload_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length < 0:
        raise ApiError("length_required")
    # A declared length past the cap never reaches this view: limits.decide refused it unread.
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


# --- the post and its files, as the publishing service takes them ------------------------------


def _plain_name(name: str) -> bool:
    return bool(name) and name not in {".", ".."} and not any(c in name for c in "/\\\x00")


def _path(upload: UploadedFile | None) -> Path | None:
    return Path(upload.temporary_file_path()) if upload is not None else None


def read_submission(submission: Submission) -> tuple[Post, PostFiles]:
    """The uploaded post, parsed once under its uploaded name, and its files where they were streamed to."""
    post = parse_post(Path(submission.post.name), read_from=_path(submission.post))
    external = is_external(post.audio_path)
    if not post.audio_path or not (external or _plain_name(post.audio_filename)):
        raise PostError(post.path, None, f"audio_file_path を使えません: {post.audio_path!r}")
    if external and submission.audio:
        raise ApiError("audio_not_expected", field="audio")
    if not external and not submission.audio:
        raise ApiError("audio_missing", field="audio")
    if submission.timeline:
        try:
            # The importer would only warn; a bad upload is refused, named as it was uploaded.
            read_timeline(_path(submission.timeline), name=submission.timeline.name)
        except TimelineError as exc:
            raise PostError(Path(submission.timeline.name), None, str(exc)) from exc
    files = PostFiles(
        audio=_path(submission.audio),
        # Stored under the name the post gives it, as publish_episode would find it.
        audio_name=post.audio_filename,
        audio_sha256=submission.audio.sha256 if submission.audio else None,
        script=_path(submission.script),
        timeline=_path(submission.timeline),
    )
    return post, files
