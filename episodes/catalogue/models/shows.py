"""The station and its shows: each one a podcast channel with its own feed."""

import logging
import uuid
from pathlib import PurePosixPath
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse

from episodes.catalogue import request_memo
from episodes.catalogue.links import is_public_origin
from episodes.catalogue.models.cast import Actor
from episodes.catalogue.models.revision import RevisionedModel, RevisionedQuerySet
from episodes.catalogue.models.slugs import (
    SLUG_HELP,
    SLUG_MAX_LENGTH,
    SLUG_REDIRECTED_MESSAGE,
    FormerShowSlug,
    suggest_slug,
    validate_ascii_slug,
)
from episodes.catalogue.models.uploads import image_upload_to
from episodes.catalogue.pictures import build_renditions_on_commit
from episodes.media import images
from episodes.media.renditions import Picture, needs_renditions, picture_for

# The Podcasting 2.0 namespace for podcast:guid (UUIDv5 of the feed URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
WEEKDAYS_RRULE = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"

logger = logging.getLogger(__name__)


def podcast_guid_for(feed_url: str) -> uuid.UUID:
    """podcast:guid as the namespace defines it: no scheme, no trailing slash."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return uuid.uuid5(PODCAST_GUID_NAMESPACE, bare)


class Channel(RevisionedModel):
    """What a podcast directory needs to know about a feed's owner and artwork."""

    name = models.CharField("名前", max_length=200, unique=True)
    description = models.CharField("短い説明", max_length=500, help_text="一覧や検索結果に出る一文。")
    long_description = models.TextField("詳しい説明", blank=True, help_text="番組ページとフィードに出ます。")
    author = models.CharField("制作者", max_length=200)
    owner_name = models.CharField("オーナー名", max_length=200, blank=True)
    owner_email = models.EmailField("オーナーのメールアドレス")
    artwork = models.ImageField(
        "アートワーク",
        upload_to=image_upload_to,
        blank=True,
        max_length=500,
        validators=[images.validate_artwork_source],
        help_text=(
            "正方形の JPEG か PNG、1400〜3000px 四方が最適です。小さい・正方形でない・透過のある画像からは、"
            "Apple の条件を満たすフィード用の画像を自動で作ります。"
        ),
    )
    feed_artwork = models.ImageField(
        "フィード用アートワーク",
        upload_to=image_upload_to,
        blank=True,
        max_length=500,
        editable=False,
        help_text="アートワークが Apple の条件を満たさないときに作る、1400〜3000px 四方の RGB JPEG。",
    )
    renditions = models.JSONField("アートワークの縮小版", default=dict, blank=True, editable=False)
    language = models.CharField("言語", max_length=10, default="ja")
    category = models.CharField("カテゴリー", max_length=100, default="Technology")
    explicit = models.BooleanField("成人向け表現あり", default=False)
    website_url = models.URLField("ウェブサイト", max_length=500, blank=True)
    copyright = models.CharField("著作権表示", max_length=200, blank=True)
    update_frequency = models.CharField(
        "更新頻度（RRULE）", max_length=200, default=WEEKDAYS_RRULE, help_text="既定は平日毎日。"
    )
    podcast_guid = models.UUIDField(
        "podcast:guid",
        null=True,
        blank=True,
        editable=False,
        help_text="公開のサイトURL（SITE_URL）で最初に保存したときのフィードURLから作り、以後変えません。",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "artwork" in field_names:
            instance._loaded_artwork = instance.artwork.name
        return instance

    def save(self, *args, **kwargs):
        images.fix_uploaded_extension(self.artwork)
        if self.podcast_guid is None and is_public_origin(settings.SITE_URL):
            # Stored once, so the feed keeps its identity across a domain change; never from a
            # development origin, which every default install would share.
            self.podcast_guid = podcast_guid_for(self.feed_url)
        if images.is_new_upload(self.artwork) or self.artwork.name != getattr(self, "_loaded_artwork", ""):
            self._refresh_feed_artwork()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "artwork" in update_fields:
                kwargs["update_fields"] = {*update_fields, "feed_artwork"}
        super().save(*args, **kwargs)
        if needs_renditions(self, "artwork"):
            build_renditions_on_commit(self, "artwork")
        self._loaded_artwork = self.artwork.name

    def _refresh_feed_artwork(self) -> None:
        """Made once when the artwork changes: a conforming copy beside the original, or none when it conforms."""
        self.feed_artwork = ""
        if not self.artwork:
            return
        if images.is_new_upload(self.artwork):
            # Stored now rather than by the field, so the rendition can sit beside it.
            self.artwork.save(PurePosixPath(self.artwork.name).name, self.artwork.file, save=False)
        try:
            with self.artwork.storage.open(self.artwork.name, "rb") as original:
                if images.artwork_conforms(original):
                    return
                rendition = images.make_feed_artwork(original)
        except (OSError, ValidationError) as exc:
            # The feed then names the original; the admin shows no rendition.
            logger.warning("artwork %s could not be read for a feed rendition: %s", self.artwork.name, exc)
            return
        original_path = PurePosixPath(self.artwork.name)
        name = str(original_path.with_name(f"{original_path.stem}-feed.jpg"))
        self.feed_artwork.name = self.feed_artwork.storage.save(name, rendition)

    @property
    def feed_podcast_guid(self) -> uuid.UUID:
        """The stored podcast:guid, or (until SITE_URL is public) one from the current feed URL."""
        return self.podcast_guid or podcast_guid_for(self.feed_url)

    @property
    def feed_url(self) -> str:
        return settings.SITE_URL + self.get_feed_path()

    @property
    def artwork_src(self) -> str:
        """The artwork as uploaded, for pages."""
        return self.artwork.url if self.artwork else ""

    @property
    def feed_artwork_src(self) -> str:
        """The artwork Apple accepts: the rendition when one was needed, else the original."""
        return self.feed_artwork.url if self.feed_artwork else self.artwork_src

    def fallback_channel(self) -> "Channel | None":
        """Whose artwork stands in when this channel has none."""
        return None

    @property
    def cover_src(self) -> str:
        """This channel's artwork for pages, else its fallback's ("" when neither has one)."""
        if self.artwork:
            return self.artwork_src
        fallback = self.fallback_channel()
        return fallback.artwork_src if fallback else ""

    @property
    def cover_picture(self) -> Picture:
        """Like cover_src, with the renditions pages print as srcset."""
        if self.artwork:
            return picture_for(self.artwork, self.renditions)
        fallback = self.fallback_channel()
        return fallback.cover_picture if fallback else Picture("")

    @property
    def feed_cover_src(self) -> str:
        """This channel's feed artwork, else its fallback's."""
        if self.artwork:
            return self.feed_artwork_src
        fallback = self.fallback_channel()
        return fallback.feed_artwork_src if fallback else ""

    @property
    def owner_display_name(self) -> str:
        return self.owner_name or self.author

    def get_feed_path(self) -> str:
        raise NotImplementedError


class Station(Channel):
    """The broadcaster itself; `/feed.xml` carries all its shows together."""

    class Meta:
        verbose_name = "放送局"
        verbose_name_plural = "放送局"

    @classmethod
    def existing(cls) -> "Station | None":
        """The station row if there is one, read once per request; pages never create it."""
        memo = request_memo.current()
        if memo is not None and "station" in memo:
            return memo["station"]
        station = cls.objects.filter(pk=1).first()
        if memo is not None:
            memo["station"] = station
        return station

    @classmethod
    def load(cls) -> "Station":
        """The one station row, created from settings on first use."""
        station = cls.existing()
        if station is None:
            station, _ = cls.objects.get_or_create(
                pk=1,
                defaults={
                    "name": settings.SITE_NAME,
                    "description": settings.SITE_NAME,
                    "author": settings.SITE_NAME,
                    "owner_email": settings.DEFAULT_FROM_EMAIL,
                },
            )
        return station

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if (memo := request_memo.current()) is not None:
            memo.pop("station", None)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        if (memo := request_memo.current()) is not None:
            memo.pop("station", None)
        return result

    def get_absolute_url(self) -> str:
        return reverse("episodes:home")

    @property
    def feed_hosts(self) -> list[Actor]:
        """The station feed mixes shows; each item names its own show's hosts."""
        return []

    def get_feed_path(self) -> str:
        return reverse("episodes:feed")


class ShowQuerySet(RevisionedQuerySet):
    def public(self):
        """Shows with at least one public episode: a show with only drafts or scheduled episodes is unannounced."""
        from episodes.catalogue.models.episodes import Episode

        return self.filter(Exists(Episode.objects.published().filter(show=OuterRef("pk"))))

    def with_moved(self):
        """Each show annotated `moved`: whether it had another slug before (its feed then names its new URL)."""
        return self.annotate(moved=Exists(FormerShowSlug.objects.filter(show=OuterRef("pk"))))

    def moved_from(self, slug: str) -> "Show | None":
        """The show of this queryset that `slug` used to name, or None (one query)."""
        return self.filter(former_slugs__slug=slug).first()


class SubscribeLink(NamedTuple):
    key: str
    label: str
    url: str


class Show(Channel):
    """A podcast: one feed, one artwork, its usual hosts."""

    name = models.CharField("番組名", max_length=200, unique=True)
    slug = models.CharField(
        "スラッグ",
        max_length=SLUG_MAX_LENGTH,
        unique=True,
        blank=True,
        validators=[validate_ascii_slug],
        help_text=SLUG_HELP,
    )
    hosts = models.ManyToManyField(Actor, verbose_name="ホスト", blank=True, related_name="hosted_shows")
    # Where listeners follow the show in the big apps; the subscribe page lists those that are set.
    apple_podcasts_url = models.URLField("Apple Podcasts の番組URL", max_length=500, blank=True)
    spotify_url = models.URLField("Spotify の番組URL", max_length=500, blank=True)
    youtube_channel_url = models.URLField("YouTube の再生リスト・チャンネルURL", max_length=500, blank=True)
    amazon_music_url = models.URLField("Amazon Music の番組URL", max_length=500, blank=True)

    objects = ShowQuerySet.as_manager()

    class Meta:
        verbose_name = "番組"
        verbose_name_plural = "番組"
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~models.Q(slug=""), name="show_slug_not_empty")]

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "slug" in field_names:
            instance._loaded_slug = instance.slug
        return instance

    def clean(self):
        super().clean()
        if not self.slug:
            # Before the constraints are checked: an empty slug in the form means "make one from the name".
            self.slug = self.suggest_slug(self.name, show_pk=self.pk)
        elif FormerShowSlug.objects.filter(slug=self.slug).exclude(show_id=self.pk).exists():
            raise ValidationError({"slug": SLUG_REDIRECTED_MESSAGE})

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self.suggest_slug(self.name, show_pk=self.pk)
            if (update_fields := kwargs.get("update_fields")) is not None:
                kwargs["update_fields"] = {*update_fields, "slug"}
        loaded = getattr(self, "_loaded_slug", None)
        fields = kwargs.get("update_fields")
        if loaded == self.slug or (fields is not None and "slug" not in fields):  # the stored slug stays
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            # The slug is this show's again (or taken over from an older redirect): it answers 200 now.
            FormerShowSlug.objects.filter(slug=self.slug).delete()
            if loaded:
                FormerShowSlug.objects.update_or_create(slug=loaded, defaults={"show": self})
        self._loaded_slug = self.slug

    def remember_former_slug(self, slug: str) -> None:
        """Keep answering `slug` (an address this show had elsewhere, as an import's Japanese one) with a 301."""
        if not slug or slug == self.slug or Show.objects.filter(slug=slug).exists():
            return
        FormerShowSlug.objects.get_or_create(slug=slug, defaults={"show": self})

    @classmethod
    def suggest_slug(cls, name: str, *, show_pk: int | None = None) -> str:
        """A slug for a show of that name that no other show has now or had before."""

        def free(slug: str) -> bool:
            others = cls.objects.filter(slug=slug).exclude(pk=show_pk)
            return (
                not others.exists() and not FormerShowSlug.objects.filter(slug=slug).exclude(show_id=show_pk).exists()
            )

        return suggest_slug(name, free=free)

    def get_absolute_url(self) -> str:
        return reverse("episodes:show", kwargs={"slug": self.slug})

    def get_subscribe_url(self) -> str:
        return reverse("episodes:show_subscribe", kwargs={"slug": self.slug})

    @property
    def subscribe_links(self) -> list[SubscribeLink]:
        """The apps the show is in, in the order listeners most often use them."""
        links = [
            SubscribeLink("apple", "Apple Podcasts", self.apple_podcasts_url),
            SubscribeLink("spotify", "Spotify", self.spotify_url),
            SubscribeLink("youtube", "YouTube", self.youtube_channel_url),
            SubscribeLink("amazon", "Amazon Music", self.amazon_music_url),
        ]
        return [link for link in links if link.url]

    @property
    def feed_hosts(self) -> list[Actor]:
        return list(self.hosts.all())

    def get_feed_path(self) -> str:
        return reverse("episodes:show_feed", kwargs={"slug": self.slug})

    def fallback_channel(self) -> Station | None:
        """A show without artwork shows the station's."""
        return Station.existing()

    def default_title(self, day) -> str:
        """The station's title pattern: `<show> podcast YYYYMMDD`."""
        return f"{self.name} podcast {day:%Y%m%d}"


def moved_show_redirect(request: HttpRequest, *, slug: str, view_name: str) -> HttpResponsePermanentRedirect | None:
    """A 301 from a public show's former slug to the same page at its current one (query kept); None otherwise."""
    show = Show.objects.public().moved_from(slug)
    if show is None:
        return None
    path = reverse(view_name, kwargs={"slug": show.slug})
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)
