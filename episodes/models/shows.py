"""The station and its shows: each one a podcast channel with its own feed."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse

from .. import images
from ..links import is_public_origin
from .cast import Actor
from .revision import RevisionedModel, RevisionedQuerySet
from .uploads import image_upload_to

# The Podcasting 2.0 namespace for podcast:guid (UUIDv5 of the feed URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
WEEKDAYS_RRULE = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


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
        validators=[images.validate_artwork],
        help_text="正方形の JPEG か PNG、1400〜3000px 四方。",
    )
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

    def save(self, *args, **kwargs):
        images.fix_uploaded_extension(self.artwork)
        if self.podcast_guid is None and is_public_origin(settings.SITE_URL):
            # Stored once, so the feed keeps its identity across a domain change; never from a
            # development origin, which every default install would share.
            self.podcast_guid = podcast_guid_for(self.feed_url)
        super().save(*args, **kwargs)

    @property
    def feed_podcast_guid(self) -> uuid.UUID:
        """The stored podcast:guid, or (until SITE_URL is public) one from the current feed URL."""
        return self.podcast_guid or podcast_guid_for(self.feed_url)

    @property
    def feed_url(self) -> str:
        return settings.SITE_URL + self.get_feed_path()

    @property
    def artwork_src(self) -> str:
        return self.artwork.url if self.artwork else ""

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
    def load(cls) -> "Station":
        """The one station row, created from settings on first use."""
        station = cls.objects.filter(pk=1).first()
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
        from .episodes import Episode  # episodes.py imports this module

        return self.filter(Exists(Episode.objects.published().filter(show=OuterRef("pk"))))


class Show(Channel):
    """A podcast: one feed, one artwork, its usual hosts."""

    name = models.CharField("番組名", max_length=200, unique=True)
    slug = models.SlugField("スラッグ", max_length=100, unique=True, allow_unicode=True)
    hosts = models.ManyToManyField(Actor, verbose_name="ホスト", blank=True, related_name="hosted_shows")

    objects = ShowQuerySet.as_manager()

    class Meta:
        verbose_name = "番組"
        verbose_name_plural = "番組"
        ordering = ["name"]

    def get_absolute_url(self) -> str:
        return reverse("episodes:show", kwargs={"slug": self.slug})

    @property
    def feed_hosts(self) -> list[Actor]:
        return list(self.hosts.all())

    def get_feed_path(self) -> str:
        return reverse("episodes:show_feed", kwargs={"slug": self.slug})

    def default_title(self, day) -> str:
        """The station's title pattern: `<show> podcast YYYYMMDD`."""
        return f"{self.name} podcast {day:%Y%m%d}"
