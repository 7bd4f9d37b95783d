"""Admin for the station, its shows and the cast (episodes and their articles: admin/episodes.py)."""

import logging

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from episodes.backoffice.admin.episode_editor import AiringSlotInline
from episodes.catalogue.models import Actor, Show, Station

# Markdown fields get the live-preview editor; URLs typed without a scheme
# become https:// (Django 6.0's default, chosen explicitly now).
FORM_FIELDS = {
    MarkdownxField: {"widget": AdminMarkdownxWidget},
    models.URLField: {"assume_scheme": "https"},
}

logger = logging.getLogger(__name__)


def image_preview(fieldfile, size: int = 80):
    if not fieldfile:
        return "—"
    return format_html('<img src="{}" alt="" width="{}">', fieldfile.url, size)


def _feed_artwork_preview(channel):
    if not channel.artwork:
        return "—"
    if not channel.feed_artwork:
        return "アートワークが Apple の条件（1400〜3000px 四方の RGB の JPEG/PNG）を満たすので、そのまま使います。"
    return format_html(
        "{}<br>アートワークが条件を満たさないため、フィードにはこの {} を使います。",
        image_preview(channel.feed_artwork, 200),
        "1400〜3000px 四方の RGB JPEG",
    )


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "credit", "preview"]
    fields = ["name", "slug", "image", "image_url", "credit", "profile_url", "bio"]
    search_fields = ["name", "credit"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = FORM_FIELDS

    def get_search_results(self, request, queryset, search_term):
        """The name typed comes first (ずんだもん before お嬢様ずんだもん), then names starting with it."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            rank = models.Case(
                models.When(name=term, then=0),
                models.When(name__startswith=term, then=1),
                default=2,
                output_field=models.IntegerField(),
            )
            results = results.annotate(search_rank=rank).order_by("search_rank", "name")
        return results, may_have_duplicates

    @admin.display(description="画像")
    def preview(self, obj):
        return image_preview(obj.image, 48)


CHANNEL_FIELDS = [
    "author",
    "owner_name",
    "owner_email",
    "copyright",
    "website_url",
    "language",
    "category",
    "explicit",
    "update_frequency",
    "podcast_guid",
]


class ArtworkPreviews:
    """The station's and a show's artwork, and what the feed uses of it, on their forms."""

    @admin.display(description="プレビュー")
    def artwork_preview(self, obj):
        return image_preview(obj.artwork, 200)

    @admin.display(description="フィード用")
    def feed_artwork_preview(self, obj):
        return _feed_artwork_preview(obj)


@admin.register(Station)
class StationAdmin(ArtworkPreviews, admin.ModelAdmin):
    """The one station row: what /feed.xml says about the whole broadcaster."""

    readonly_fields = ["artwork_preview", "feed_artwork_preview", "podcast_guid"]
    formfield_overrides = FORM_FIELDS
    fieldsets = [
        (None, {"fields": ["name", "description", "long_description"]}),
        ("アートワーク", {"fields": ["artwork", "artwork_preview", "feed_artwork_preview"]}),
        ("ポッドキャストの情報", {"fields": CHANNEL_FIELDS}),
    ]

    def has_add_permission(self, request):
        return not Station.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Show)
class ShowAdmin(ArtworkPreviews, admin.ModelAdmin):
    list_display = ["name", "slug", "author", "episode_count"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["hosts"]
    formfield_overrides = FORM_FIELDS
    inlines = [AiringSlotInline]
    readonly_fields = ["artwork_preview", "feed_artwork_preview", "podcast_guid", "former_addresses"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "former_addresses", "description", "long_description", "hosts"]}),
        ("アートワーク", {"fields": ["artwork", "artwork_preview", "feed_artwork_preview"]}),
        (
            "購読先（購読ページに出ます）",
            {"fields": ["apple_podcasts_url", "spotify_url", "youtube_channel_url", "amazon_music_url"]},
        ),
        ("ポッドキャストの情報", {"fields": CHANNEL_FIELDS}),
    ]

    @admin.display(description="以前のURL（新しいURLへ転送）")
    def former_addresses(self, obj):
        slugs = [former.slug for former in obj.former_slugs.all()] if obj.pk else []
        if not slugs:
            return "—"
        return format_html_join(", ", "/shows/{}/", ((slug,) for slug in slugs))

    @admin.display(description="エピソード数", ordering="episode_total")
    def episode_count(self, obj):
        return obj.episode_total

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(episode_total=Count("episodes"))
