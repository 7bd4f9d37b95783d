"""Admin for episodes, their cast in order and the news articles each covers: the editor's daily form."""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse

from episodes.analytics.models import DailyDownloads
from episodes.backoffice.admin import episode_editor
from episodes.backoffice.admin.content import FORM_FIELDS, image_preview
from episodes.backoffice.admin.dates import SaneDateFiltersMixin
from episodes.backoffice.admin.full_disk import FullDiskAdminMixin
from episodes.backoffice.admin.letters import AiredLetterInline
from episodes.backoffice.admin.uploads import (
    PendingUploadField,
    attach_pending_uploads,
    keep_uploads_of_refused_form,
    pending_upload,
)
from episodes.catalogue.models import Appearance, Episode, LinkedArticle
from episodes.catalogue.probes import probe_episode_audio
from episodes.catalogue.schedule import host_for, schedule_for_script
from episodes.catalogue.timecode import TimecodeField
from episodes.media import images
from episodes.operations.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    autocomplete_fields = ["actor"]
    fields = ["position", "actor"]
    verbose_name_plural = "出演者（空のまま保存すると番組のホストが入ります）"


def _admin_formfield(db_field, **kwargs):
    """Form fields for a ModelForm declared here, built as the admins' FORM_FIELDS say."""
    return db_field.formfield(**{**FORM_FIELDS.get(type(db_field), {}), **kwargs})


class LinkedArticleForm(forms.ModelForm):
    start_seconds = TimecodeField(
        label="開始位置", required=False, help_text="音声の中でこの記事が始まる位置（例 3:25）。"
    )

    class Meta:
        model = LinkedArticle
        fields = ["position", "title", "url", "summary", "citation_url", "start_seconds"]
        formfield_callback = _admin_formfield


class LinkedArticleInline(admin.StackedInline):
    model = LinkedArticle
    form = LinkedArticleForm
    extra = 0
    fields = ["position", "title", "url", "summary", "citation_url", "start_seconds"]
    formfield_overrides = FORM_FIELDS

    class Media:
        js = ["js/admin_markdownx_inlines.js"]


class PublicationFilter(admin.SimpleListFilter):
    """Draft, live or scheduled: what an editor asks first."""

    title = "公開状況"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [("live", "公開中"), ("scheduled", "予約"), ("draft", "下書き")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.published()
        if self.value() == "scheduled":
            return queryset.scheduled()
        if self.value() == "draft":
            return queryset.filter(status=Episode.Status.DRAFT)
        return queryset


class EpisodeAdminForm(forms.ModelForm):
    """The episode form; a new external audio URL is measured by the worker after the save commits.

    The editor's save never waits on another host: `probe_after_save` tells the
    admin to queue `probe_episode_audio`, which records the size and length,
    or why they could not be read (shown on the change page), on the episode.
    """

    probe_after_save = False
    # Files uploaded as soon as they were chosen (episodes/media/pending_uploads.py).
    audio_file_pending = PendingUploadField(file_field="audio_file", kind="audio")
    image_pending = PendingUploadField(file_field="image", kind="image")
    published_at = episode_editor.publication_field()
    pending_uploads = ()

    class Meta:
        model = Episode
        fields = ["audio_file", "audio_url"]  # the admin adds the rest from its fieldsets
        formfield_callback = _admin_formfield

    def clean(self):
        cleaned = super().clean()
        episode_editor.apply_button(self.data, cleaned, self)
        self.pending_uploads = attach_pending_uploads(self, cleaned)
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the form's values
        episode = self.instance
        new_source = "audio_url" in self.changed_data or (episode.pk and episode.audio_size is None)
        self.probe_after_save = bool(episode.audio_url and not episode.audio_file and new_source and not self.errors)


@admin.register(Episode)
class EpisodeAdmin(FullDiskAdminMixin, SaneDateFiltersMixin, admin.ModelAdmin):
    list_display = ["number", "title", "show", "published_at", "publication", "duration", "in_feed"]
    list_display_links = ["number", "title"]

    class Media:
        css = {"all": ["css/admin_lists.css"]}

    # 公開状況 already says draft / live / scheduled: a second 状態 filter only overlapped it.
    list_filter = [PublicationFilter, "show", "cast"]
    list_select_related = ["show"]
    search_fields = ["title", "description", "articles__title"]
    date_hierarchy = "published_at"
    ordering = ["-published_at", "-number"]
    actions = ["publish", "unpublish"]
    form = EpisodeAdminForm
    inlines = [AppearanceInline, LinkedArticleInline, AiredLetterInline]
    formfield_overrides = FORM_FIELDS
    readonly_fields = [
        "audio_info",
        "feed_status",
        "thumbnail_preview",
        "youtube_id",
        "guid",
        "created_at",
        "updated_at",
    ]
    # "editor-first" fieldsets come before the cast and articles (change_form.html), the rest after.
    fieldsets = [
        (None, {"fields": ["show", "published_at", "title", "number"], "classes": ["editor-first"]}),
        (
            "音声",
            {
                "fields": ["audio_file", "audio_file_pending", "audio_url", "audio_info", "feed_status"],
                "classes": ["editor-first"],
            },
        ),
        ("内容", {"fields": ["description", "notice", "notes", "transcript"]}),
        (
            "画像と動画",
            {
                "fields": [
                    "image",
                    "image_pending",
                    "thumbnail_preview",
                    "image_url",
                    "thumbnail_url",
                    "social_card",
                    "youtube_url",
                    "youtube_id",
                ]
            },
        ),
        ("状態と識別情報", {"fields": ["status", "guid", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_deleted_objects(self, objs, request):
        """Whoever may delete an episode may delete its download counts, which go with it (CASCADE).

        The counts are read-only in the admin, so nobody holds their delete
        permission and Django refused even a superuser (issue 24, finding 9).
        The confirmation page still lists how many daily rows go.
        """
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(DailyDownloads._meta.verbose_name)
        return deleted, model_count, perms_needed, protected

    @admin.display(description="公開状況")
    def publication(self, obj):
        return obj.publication_label

    @admin.display(description="長さ", ordering="audio_duration")
    def duration(self, obj):
        return obj.duration_display or "—"

    @admin.display(description="フィード", boolean=True)
    def in_feed(self, obj):
        return not obj.feed_problem

    @admin.display(description="フィードへの掲載")
    def feed_status(self, obj):
        if not obj.pk:
            return "保存すると音声を読み取り、フィードに載るかどうかをここに表示します。"
        return obj.feed_problem or "フィードに載ります（公開日時を過ぎていれば）。"

    @admin.display(description="音声の情報（自動で読み取り）")
    def audio_info(self, obj):
        attached = self._attached_audio(obj)
        if obj.audio_size is None and obj.audio_duration is None:
            if obj.audio_problem:
                return f"{attached} 読み取れませんでした: {obj.audio_problem}"
            return f"{attached} まだ読み取っていません。音声を保存すると自動で読み取ります。"
        parts = [
            attached,
            f"サイズ {filesizeformat(obj.audio_size)}（{obj.audio_size:,} バイト）"
            if obj.audio_size
            else "サイズ 不明",
            f"長さ {obj.duration_display}" if obj.audio_duration else "長さ 不明",
            obj.audio_mime_type or "種類 不明",
            f"{obj.audio_bitrate // 1000} kbps" if obj.audio_bitrate else "",
        ]
        return " / ".join(part for part in parts if part)

    @staticmethod
    def _attached_audio(obj) -> str:
        """What is attached now: after a refused save, the form's instance holds the pending file."""
        if obj.audio_file:
            name = obj.audio_file.name.rsplit("/", 1)[-1]
            return f"ファイル {name}" + ("（まだ保存されていません）" if images.is_new_upload(obj.audio_file) else "")
        if obj.audio_url:
            return "外部の音声URL"
        return "音声はまだ添付されていません。"

    @admin.display(description="サムネイル")
    def thumbnail_preview(self, obj):
        return image_preview(obj.thumbnail, 160)

    def get_changeform_initial_data(self, request):
        """Pre-fill a new episode from the schedule (episode_editor.new_episode_initial)."""
        return episode_editor.new_episode_initial(super().get_changeform_initial_data(request))

    def get_inline_instances(self, request, obj=None):
        # A new episode has no letters read in it yet: no empty table on the daily form.
        inlines = super().get_inline_instances(request, obj)
        return inlines if obj is not None else [i for i in inlines if not isinstance(i, AiredLetterInline)]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        keep_uploads_of_refused_form(form, refused=bool(context["errors"]), owner_id=request.user.pk)
        formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
        context.update(
            error_links=episode_editor.error_summary(context["adminform"].form, formsets) if context["errors"] else [],
            station_schedule={**schedule_for_script(), "is_new": add},
            publish_buttons=episode_editor.BUTTONS,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request, obj, post_url_continue=None):
        return self._response_after_button(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._response_after_button(request, obj) or super().response_change(request, obj)

    def _response_after_button(self, request, obj):
        """After 今すぐ公開 / 予約して保存 / 下書き保存: say what happened, and stay on the episode."""
        if episode_editor.pressed_button(request.POST) is None or IS_POPUP_VAR in request.POST:
            return None
        self.message_user(request, episode_editor.saved_message(obj), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalogue_episode_change", args=[obj.pk]))

    def get_urls(self):
        upload = path(
            "pending-upload/", self.admin_site.admin_view(pending_upload), name="catalogue_episode_pending_upload"
        )
        return [upload, *super().get_urls()]

    def save_model(self, request, obj, form, change):
        for pending in form.pending_uploads:
            # Stored under audio/ or images/ by this save; the pending copy goes once it is committed.
            transaction.on_commit(pending.discard)
        super().save_model(request, obj, form, change)
        if form.probe_after_save:
            enqueue_on_commit(probe_episode_audio, obj.pk, obj.audio_url, group="probe_audio")
            self.message_user(
                request,
                "外部の音声URLのサイズと長さは、バックグラウンドで読み取ります（読めないときはこの画面に理由が出ます）。",
                level=messages.INFO,
            )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Appearance:
            episode = form.instance
            if not episode.appearances.exists():
                for position, host in enumerate(host_for(episode)):
                    Appearance.objects.create(episode=episode, actor=host, position=position)

    @admin.action(description="選んだエピソードを公開する", permissions=["change"])
    def publish(self, request, queryset):
        ready = queryset.with_audio()
        count = ready.update(status=Episode.Status.PUBLISHED)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} 件を公開しました（公開日時が未来のものは予約になります）。")
        if skipped:
            self.message_user(request, f"音声のない {skipped} 件は公開できませんでした。", level=messages.WARNING)

    @admin.action(description="選んだエピソードを非公開（下書き）にする", permissions=["change"])
    def unpublish(self, request, queryset):
        count = queryset.update(status=Episode.Status.DRAFT)
        self.message_user(request, f"{count} 件を下書きに戻しました。")
