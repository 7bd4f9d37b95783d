"""Staff-only endpoints behind the admin's Markdown editor (django-markdownx).

markdownx's own views answer anyone; these wrap the preview in a staff check
and replace the image upload with one that checks content with Pillow,
refuses SVG, and stores the file under the extension Pillow detected.
"""

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_POST
from markdownx.models import MarkdownxField

from episodes.catalogue.markdown import render_markdown
from episodes.media import images


class EditorImageForm(forms.Form):
    image = forms.FileField()

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size > settings.MARKDOWNX_UPLOAD_MAX_SIZE:
            raise ValidationError("画像が大きすぎます。")
        images.identify_image(upload)
        return upload


@require_POST
@staff_member_required
def markdown_preview(request):
    """Preview exactly what saving would store: rendered and sanitised."""
    return HttpResponse(render_markdown(request.POST.get("content", "")))


def may_write_markdown(user) -> bool:
    """Whether the user may add or change something with a Markdown field: the only reason to upload."""
    for model in (model for label in ("catalogue", "letters") for model in apps.get_app_config(label).get_models()):
        if any(isinstance(field, MarkdownxField) for field in model._meta.fields):
            for action in ("add", "change"):
                if user.has_perm(f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}"):
                    return True
    return False


@require_POST
@staff_member_required
def markdown_image_upload(request):
    # Being staff is not enough to store files on the site.
    if not may_write_markdown(request.user):
        return JsonResponse({"image": ["画像をアップロードする権限がありません。"]}, status=403)
    form = EditorImageForm(files=request.FILES)
    if not form.is_valid():
        return JsonResponse({"image": form.errors["image"]}, status=400)
    upload = form.cleaned_data["image"]
    name = images.name_with_detected_extension(upload.name, upload)
    stored = default_storage.save(f"{settings.MARKDOWNX_MEDIA_PATH}{images.random_folder()}/{name}", upload)
    return JsonResponse({"image_code": f"![]({default_storage.url(stored)})"})
