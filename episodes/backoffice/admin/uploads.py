"""The episode form's side of the pending-upload area (episodes/media/pending_uploads.py).

A hidden reference field per file field, a widget that says what is attached
and holds the progress bar, and the staff-only view the script uploads to.
"""

from django import forms
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from episodes.media.pending_uploads import PendingUploadError, load_pending_upload, store_pending_upload

# The model's file field each pending field stands in for, and the kind of file it takes.
PENDING_FIELDS = {"audio_file": ("audio_file_pending", "audio"), "image": ("image_pending", "image")}


class PendingUploadWidget(forms.HiddenInput):
    """The reference (hidden), a progress bar and a line saying what is attached."""

    template_name = "admin/episodes/pending_upload_widget.html"

    def __init__(self, *, file_field: str, kind: str):
        super().__init__()
        self.file_field, self.kind = file_field, kind

    # Shown as a row of its own (with its label), not tucked away as a hidden field.
    is_hidden = False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value:
            try:
                label = load_pending_upload(value, kind=self.kind).label
            except PendingUploadError:
                label = ""
        context["pending"] = {
            "label": label,
            "kind": self.kind,
            "file_input_id": f"id_{self.file_field}",
            "upload_url": reverse("admin:catalogue_episode_pending_upload"),
        }
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates/ folder, which Django's default form renderer does not search.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))

    class Media:
        js = ["js/pending_upload.js"]
        css = {"all": ["css/editor_admin.css"]}


class PendingUploadField(forms.CharField):
    """A signed reference to a pending file; cleans to a PendingUpload or None."""

    def __init__(self, *, file_field: str, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("label", "アップロード済みのファイル")
        super().__init__(required=False, widget=PendingUploadWidget(file_field=file_field, kind=kind), **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return load_pending_upload(value, kind=self.kind)
        except PendingUploadError as exc:
            raise ValidationError(str(exc), code="pending_upload") from exc


def attach_pending_uploads(form, cleaned: dict) -> list:
    """Put each referenced pending file where the form's file field would put an upload.

    A file sent with the form itself (a browser without the script) wins. Returns the
    pending uploads used, for the admin to discard once the episode is saved.
    """
    used = []
    for file_field, (pending_field, _kind) in PENDING_FIELDS.items():
        pending = cleaned.get(pending_field)
        if pending is None or form.files.get(file_field) or file_field not in form.fields:
            continue
        cleaned[file_field] = pending.open()
        used.append(pending)
    return used


def keep_uploads_of_refused_form(form, *, refused: bool, owner_id: int) -> None:
    """A form that comes back with errors keeps the files sent with it (a browser without the script).

    Each readable upload goes to the pending area and its reference into the form's data,
    so the page shows it attached and the next save uses it.
    """
    if not form.is_bound or not refused:  # refused: the form or one of its inline rows has errors
        return
    kept = {}
    for file_field, (pending_field, kind) in PENDING_FIELDS.items():
        upload = form.files.get(file_field)
        if upload is None or file_field in form.errors or pending_field not in form.fields:
            continue
        try:
            kept[pending_field] = store_pending_upload(upload, kind=kind, owner_id=owner_id).reference()
        except PendingUploadError:
            continue  # the field's own error already says why
    if kept:
        form.data = form.data.copy()
        for name, reference in kept.items():
            form.data[name] = reference


def may_upload_episodes(user) -> bool:
    """Uploading is for people who may add or change episodes."""
    from episodes.catalogue.models import Episode

    opts = Episode._meta
    return any(user.has_perm(f"{opts.app_label}.{get_permission_codename(a, opts)}") for a in ("add", "change"))


@require_POST
def pending_upload(request):
    """Keep one chosen file in the pending area and answer its reference (JSON). Wrapped by admin_view."""
    if not may_upload_episodes(request.user):
        return JsonResponse({"error": "ファイルをアップロードする権限がありません。"}, status=403)
    upload = request.FILES.get("file")
    kind = request.POST.get("kind", "")
    if upload is None:
        return JsonResponse({"error": "ファイルが届きませんでした。もう一度選んでください。"}, status=400)
    try:
        pending = store_pending_upload(upload, kind=kind, owner_id=request.user.pk)
    except PendingUploadError as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    return JsonResponse({"reference": pending.reference(), "label": pending.label})
