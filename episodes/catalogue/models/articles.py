"""What an episode is made of besides itself: its cast in order, and the news it reads."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from markdownx.models import MarkdownxField

from episodes.catalogue.bounds import MAX_SECONDS
from episodes.catalogue.markdown import render_markdown
from episodes.catalogue.models.cast import Actor
from episodes.catalogue.models.episodes import Episode
from episodes.catalogue.models.revision import RevisionedModel
from episodes.catalogue.search_text import domain, normalize
from episodes.catalogue.timecode import format_timecode


class Appearance(RevisionedModel):
    """An actor in an episode's cast, in order."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="appearances")
    actor = models.ForeignKey(Actor, verbose_name="出演者", on_delete=models.PROTECT, related_name="appearances")
    position = models.PositiveSmallIntegerField("順番", default=0)

    class Meta:
        verbose_name = "出演"
        verbose_name_plural = "出演者"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["episode", "actor"], name="appearance_unique_actor")]

    def __str__(self) -> str:
        return self.actor.name


class LinkedArticle(RevisionedModel):
    """A news article the episode reads out: title, link, summary and 引用元."""

    episode = models.ForeignKey(Episode, verbose_name="エピソード", on_delete=models.CASCADE, related_name="articles")
    position = models.PositiveSmallIntegerField("順番", default=0)
    title = models.CharField("タイトル", max_length=500)
    url = models.URLField("URL", max_length=1000)
    summary = MarkdownxField("要約", blank=True, help_text="Markdown で書けます。")
    summary_html = models.TextField("要約（HTML）", blank=True, editable=False)
    citation_url = models.URLField("引用元", max_length=1000, blank=True, help_text="空なら記事のURLと同じです。")
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    start_seconds = models.FloatField(
        "開始位置（秒）",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_SECONDS)],
        help_text="音声の中でこの記事が始まる位置。",
    )

    class Meta:
        verbose_name = "関連リンク"
        verbose_name_plural = "関連リンク"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_seconds__isnull=True) | Q(start_seconds__gte=0), name="article_start_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(start_seconds__isnull=True) | Q(start_seconds__lte=MAX_SECONDS),
                name="article_start_finite",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.citation_url:
            self.citation_url = self.url
        self.summary_html = render_markdown(self.summary)
        self.refresh_search_fields()
        super().save(*args, **kwargs)

    @property
    def start_timecode(self) -> str:
        return format_timecode(self.start_seconds)

    def refresh_search_fields(self) -> None:
        """The normalised copies the search index reads: title; summary and the link's domain."""
        self.search_title = normalize(self.title)
        self.search_body = normalize(f"{self.summary}\n{domain(self.url)}")
