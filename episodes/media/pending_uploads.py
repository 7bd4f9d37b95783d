"""The pending-upload area: files an editor chose, kept until the episode is saved.

A daily MP3 is 10-60 MB. The admin sends it here as soon as it is chosen
(static/js/pending_upload.js, with a progress bar), and the episode form
carries only a signed reference to it, so a validation error anywhere else in
the form never loses the file. Saving the episode stores the file the usual
way (the model probes it as any upload) and removes the pending copy;
`manage.py purge_pending_uploads` removes what nobody saved.

Pending files live under `pending/user-<id>/` in the default storage: /media/
serves them to that staff user only (media.py), and each editor has a quota
(`PENDING_UPLOAD_QUOTA_BYTES`) so nobody can fill the disk with files no
episode takes. A disk that fills up mid-write leaves no partial file: the
upload's fresh folder is removed and the editor is told why, in Japanese.
"""

import errno
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from episodes.media import images
from episodes.media.audio import AudioError, format_duration, name_with_audio_extension, probe_audio

PENDING_FOLDER = "pending"
SIGNING_SALT = "episodes.media.pending_uploads"
# A reference older than this is refused, and `purge_pending_uploads` deletes files older than it by default.
MAX_AGE = timedelta(hours=24)
KINDS = ("audio", "image")
OWNER_PREFIX = "user-"
# The storage's own errors for "no room": a full disk, a file-system quota.
NO_ROOM = {errno.ENOSPC, errno.EDQUOT}
NO_ROOM_MESSAGE = (
    "サーバーの保存領域がいっぱいのため、ファイルを保存できませんでした。保存済みのエピソードとファイルはそのままです。"
    "管理者に連絡してください。"
)


class PendingUploadError(ValueError):
    """The file cannot be kept for an episode; the message is for editors, `status` for the upload script."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def owner_folder(owner_id: int) -> str:
    """The pending folder of one staff user."""
    return f"{PENDING_FOLDER}/{OWNER_PREFIX}{int(owner_id)}"


def pending_owner(path: str) -> int | None:
    """The id of the staff user a pending path belongs to (None: not pending, or from before owners)."""
    parts = PurePosixPath(path).parts
    if len(parts) < 4 or parts[0] != PENDING_FOLDER or not parts[1].startswith(OWNER_PREFIX):
        return None
    number = parts[1].removeprefix(OWNER_PREFIX)
    return int(number) if number.isascii() and number.isdigit() and len(number) < 19 else None


def pending_bytes(owner_id: int) -> int:
    """What one user's pending files hold now."""
    folder = owner_folder(owner_id)
    if not default_storage.exists(folder):
        return 0
    total = 0
    subfolders, _ = default_storage.listdir(folder)
    for sub in subfolders:
        _, files = default_storage.listdir(f"{folder}/{sub}")
        total += sum(default_storage.size(f"{folder}/{sub}/{name}") for name in files)
    return total


def _check_quota(upload, owner_id: int) -> None:
    quota = settings.PENDING_UPLOAD_QUOTA_BYTES
    used = pending_bytes(owner_id)
    if used + upload.size > quota:
        raise PendingUploadError(
            f"保存前のアップロードが上限（{filesizeformat(quota)}）を超えます（いま {filesizeformat(used)}）。"
            "エピソードを保存するか、24 時間たって古いファイルが消えてから、もう一度選んでください。",
            status=413,
        )


def _remove_folder(folder: str) -> None:
    """Everything in one upload's fresh folder, and the folder (a partial file a full disk left)."""
    try:
        _, files = default_storage.listdir(folder)
        for name in files:
            default_storage.delete(f"{folder}/{name}")
        if _is_local_folder(folder):
            default_storage.delete(folder)
    except (FileNotFoundError, NotImplementedError):
        pass


@dataclass(frozen=True)
class PendingUpload:
    """A file in the pending area, and what the editor is told about it."""

    path: str
    kind: str
    label: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def reference(self) -> str:
        """What the form carries: signed, so nobody can point it at another stored file."""
        return signing.dumps({"path": self.path, "kind": self.kind, "label": self.label}, salt=SIGNING_SALT)

    def open(self) -> File:
        """The file as an upload for the model's file field (stored under a fresh folder on save)."""
        return File(default_storage.open(self.path, "rb"), name=self.name)

    def discard(self) -> None:
        """Remove the pending copy (and its folder, when the storage has folders)."""
        default_storage.delete(self.path)
        folder = str(PurePosixPath(self.path).parent)
        if _is_local_folder(folder):
            default_storage.delete(folder)


def _is_local_folder(name: str) -> bool:
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # object storage has no folders to remove
        return False
    return os.path.isdir(path) and not os.listdir(path)


def store_pending_upload(upload, *, kind: str, owner_id: int) -> PendingUpload:
    """Check an upload by content and the owner's quota, and keep it in the owner's pending folder."""
    if kind not in KINDS:
        raise PendingUploadError("アップロードの種類が正しくありません。")
    _check_quota(upload, owner_id)
    if kind == "audio":
        try:
            info = probe_audio(upload)
        except AudioError as exc:
            raise PendingUploadError(str(exc)) from exc
        name = name_with_audio_extension(upload.name, info.mime_type)
        label = f"{name}（{filesizeformat(info.size)}・{format_duration(info.duration)}・{info.mime_type}）"
    else:
        try:
            images.identify_image(upload)
            name = images.name_with_detected_extension(upload.name, upload)
        except ValidationError as exc:
            raise PendingUploadError(" ".join(exc.messages)) from exc
        label = f"{name}（{filesizeformat(upload.size)}）"
    upload.seek(0)
    folder = f"{owner_folder(owner_id)}/{images.random_folder()}"
    try:
        path = default_storage.save(f"{folder}/{PurePosixPath(name).name}", upload)
    except OSError as exc:
        _remove_folder(folder)  # the folder is this upload's alone: whatever is in it is the partial copy
        if exc.errno in NO_ROOM:
            raise PendingUploadError(NO_ROOM_MESSAGE, status=507) from exc
        raise
    return PendingUpload(path=path, kind=kind, label=label)


def load_pending_upload(reference: str, *, kind: str) -> PendingUpload:
    """The pending file a form's reference names; PendingUploadError when it is forged, old or gone."""
    try:
        data = signing.loads(reference, salt=SIGNING_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired as exc:
        raise PendingUploadError("アップロードから時間がたちすぎました。ファイルをもう一度選んでください。") from exc
    except signing.BadSignature as exc:
        raise PendingUploadError("アップロードしたファイルを確認できませんでした。もう一度選んでください。") from exc
    path = str(data.get("path", ""))
    if data.get("kind") != kind or not path.startswith(f"{PENDING_FOLDER}/") or ".." in path:
        raise PendingUploadError("アップロードしたファイルを確認できませんでした。もう一度選んでください。")
    if not default_storage.exists(path):
        raise PendingUploadError("アップロードしたファイルが見つかりません。もう一度選んでください。")
    return PendingUpload(path=path, kind=kind, label=str(data.get("label", "")))


def stale_pending_files(*, older_than: timedelta, now: datetime | None = None) -> list[str]:
    """Pending files last written before `now - older_than`: nobody saved an episode with them."""
    cutoff = (now or timezone.now()) - older_than
    if not default_storage.exists(PENDING_FOLDER):
        return []
    stale = []
    for folder in _upload_folders():
        _, files = default_storage.listdir(folder)
        for name in sorted(files):
            path = f"{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                stale.append(path)
    return stale


def _upload_folders() -> list[str]:
    """Every upload's own folder: under a user's folder, or directly under pending/ (before owners)."""
    folders = []
    top, _ = default_storage.listdir(PENDING_FOLDER)
    for name in sorted(top):
        if name.startswith(OWNER_PREFIX):
            inner, _ = default_storage.listdir(f"{PENDING_FOLDER}/{name}")
            folders += [f"{PENDING_FOLDER}/{name}/{sub}" for sub in sorted(inner)]
        else:
            folders.append(f"{PENDING_FOLDER}/{name}")
    return folders


def delete_pending_file(path: str) -> None:
    """Delete one pending file and its emptied folder."""
    PendingUpload(path=path, kind="", label="").discard()
