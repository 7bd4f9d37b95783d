"""The pending-upload area: files an editor chose, kept until the episode is saved.

A daily MP3 is 10-60 MB. The admin sends it here as soon as it is chosen
(static/js/pending_upload.js, with a progress bar), and the episode form
carries only a signed reference to it, so a validation error anywhere else in
the form never loses the file. Saving the episode stores the file the usual
way (the model probes it as any upload) and removes the pending copy;
`manage.py purge_pending_uploads` removes what nobody saved.

Pending files live under `pending/` in the default storage, which /media/
never serves (it serves only audio and images of episodes).
"""

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from . import images
from .audio import AudioError, format_duration, name_with_audio_extension, probe_audio

PENDING_FOLDER = "pending"
SIGNING_SALT = "episodes.pending_uploads"
# A reference older than this is refused, and `purge_pending_uploads` deletes files older than it by default.
MAX_AGE = timedelta(hours=24)
KINDS = ("audio", "image")


class PendingUploadError(ValueError):
    """The file cannot be kept for an episode; the message is for editors."""


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


def store_pending_upload(upload, *, kind: str) -> PendingUpload:
    """Check an upload by content and keep it in the pending area."""
    if kind not in KINDS:
        raise PendingUploadError("アップロードの種類が正しくありません。")
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
    path = default_storage.save(f"{PENDING_FOLDER}/{images.random_folder()}/{PurePosixPath(name).name}", upload)
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
    folders, _ = default_storage.listdir(PENDING_FOLDER)
    for folder in sorted(folders):
        _, files = default_storage.listdir(f"{PENDING_FOLDER}/{folder}")
        for name in sorted(files):
            path = f"{PENDING_FOLDER}/{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                stale.append(path)
    return stale


def delete_pending_file(path: str) -> None:
    """Delete one pending file and its emptied folder."""
    PendingUpload(path=path, kind="", label="").discard()
