"""The episode form on a full media disk: the editor gets the form back as typed, nothing half-saved.

A save that cannot write its file (ENOSPC, EDQUOT) rolls back its rows; the
files this save had already written (an MP3 stored before its image failed)
are removed here, since a rollback does not touch storage. The form is then
shown again, bound to what was sent, with a Japanese message, instead of a
redirect that would lose every field. Files chosen with the form's script are
pending uploads (episodes/media/pending_uploads.py): they are discarded only after
a commit, so their reference stays in the form and the next save uses them.
"""

import logging

from django.db.models import FileField

from episodes.media.pending_uploads import NO_ROOM

logger = logging.getLogger(__name__)

# Set on the request while the refused form is shown again.
REFUSED = "_zundapod_storage_full"
MESSAGE = (
    "サーバーの保存領域がいっぱいのため、保存できませんでした（何も保存していません）。"
    "入力した内容はこの画面に残っています。管理者に空きを作ってもらってから、もう一度保存してください。"
)
MESSAGE_FILE_AGAIN = "この画面で直接選んだファイルは残せませんでした。もう一度選んでください。"


class RefusedForFullDisk:
    """Form mixin: the form is invalid with one clear message (the rest of its checks still run)."""

    def clean(self):
        cleaned = super().clean()
        sent_directly = any(self.files.get(name) for name in self.fields)
        self.add_error(None, f"{MESSAGE}{MESSAGE_FILE_AGAIN if sent_directly else ''}")
        return cleaned


class FullDiskAdminMixin:
    """ModelAdmin mixin: a full disk while saving shows the bound form again instead of a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except OSError as exc:
            if exc.errno not in NO_ROOM or request.method != "POST" or getattr(request, REFUSED, False):
                raise
            logger.error("%s not saved: the media storage is full (%s)", self.opts.model_name, exc)
        # The first attempt's transaction rolled back; validating again writes nothing.
        setattr(request, REFUSED, True)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not getattr(request, REFUSED, False):
            return form

        class Refused(RefusedForFullDisk, form):
            pass

        return Refused

    def save_model(self, request, obj, form, change):
        fields = [field.attname for field in obj._meta.concrete_fields if isinstance(field, FileField)]
        before = {name: _stored_name(getattr(obj, name)) for name in fields}
        try:
            super().save_model(request, obj, form, change)
        except OSError:
            # Written by this save (an upload, the thumbnail made from it) before another file failed.
            for name in fields:
                fieldfile = getattr(obj, name)
                stored = _stored_name(fieldfile)
                if stored and stored != before[name]:
                    fieldfile.storage.delete(stored)
            raise


def _stored_name(fieldfile) -> str:
    """The name of the file this field holds in storage; "" for an upload not yet stored."""
    return fieldfile.name if fieldfile and fieldfile._committed else ""
