"""Receiving the publishing API's upload: the multipart body streamed to disk, read and laid out.

Kept apart from the views because this is the part that touches files: the
body is refused early when too large or malformed, every file is hashed as it
arrives (so a retry can be recognised), and the files are then placed under the
names the post expects, exactly as `manage.py publish_episode` would find them.
"""

import hashlib
import json
import shutil
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

from ..bounds import FIRST_YEAR, LAST_YEAR, is_sane_moment
from ..importers.jekyll import Post, PostError, parse_post
from ..importers.timeline import TimelineError, read_timeline
from .errors import ApiError

# Room in a request body beyond its files: multipart boundaries, part headers, the small fields.
FORM_OVERHEAD_BYTES = 1024 * 1024
FILE_FIELDS = ("post", "audio", "script", "timeline")
VALUE_FIELDS = ("publish_at", "draft", "overwrite")
BOOLEANS = {"": False, "0": False, "false": False, "no": False, "off": False}
BOOLEANS |= {"1": True, "true": True, "yes": True, "on": True}


def max_upload_bytes() -> int:
    """The most bytes of files one request may upload: the `API_MAX_UPLOAD_BYTES` setting."""
    return settings.API_MAX_UPLOAD_BYTES


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
        timeline = _move(submission.timeline, folder / f"{stem}.json")
        try:
            read_timeline(timeline)  # the importer would only warn; a bad upload is refused
        except TimelineError as exc:
            raise PostError(timeline, None, str(exc)) from exc
    return post_path, post, audio
