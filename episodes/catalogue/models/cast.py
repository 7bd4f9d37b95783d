"""The voices: VOICEVOX characters and the credit lines their terms require."""

from django.db import models
from django.db.models import Exists, OuterRef
from django.templatetags.static import static
from django.urls import reverse
from markdownx.models import MarkdownxField

from episodes.catalogue.markdown import render_markdown
from episodes.catalogue.models.revision import RevisionedModel, RevisionedQuerySet
from episodes.catalogue.models.uploads import image_upload_to
from episodes.catalogue.pictures import build_renditions_on_commit
from episodes.media import images
from episodes.media.renditions import Picture, needs_renditions, picture_for

# Stands in on pages for a voice whose portrait is not uploaded yet (the import names the file).
VOICE_PLACEHOLDER = "img/voice-placeholder.svg"


class ActorQuerySet(RevisionedQuerySet):
    def public(self):
        """Voices heard in a public episode or hosting a public show; a voice only in drafts is unannounced."""
        from episodes.catalogue.models.episodes import Episode
        from episodes.catalogue.models.shows import Show

        return self.filter(
            Exists(Episode.objects.published().filter(appearances__actor=OuterRef("pk")))
            | Exists(Show.objects.public().filter(hosts=OuterRef("pk")))
        )


class Actor(RevisionedModel):
    """A voice on the shows: a VOICEVOX character with its required credit."""

    name = models.CharField("名前", max_length=100, unique=True)
    slug = models.SlugField("スラッグ", max_length=100, unique=True, allow_unicode=True)
    image = models.ImageField(
        "画像", upload_to=image_upload_to, blank=True, max_length=500, validators=[images.validate_image]
    )
    image_url = models.URLField(
        "外部の画像URL", max_length=1000, blank=True, help_text="画像ファイルがないときに使う、別の場所の画像。"
    )
    credit = models.CharField(
        "クレジット表記",
        max_length=200,
        blank=True,
        help_text="キャラクターの利用規約で必要な表記。例: VOICEVOX:ずんだもん",
    )
    profile_url = models.URLField("プロフィールURL", max_length=500, blank=True)
    bio = MarkdownxField("紹介文", blank=True, help_text="Markdown で書けます。")
    bio_html = models.TextField("紹介文（HTML）", blank=True, editable=False)
    renditions = models.JSONField("画像の縮小版", default=dict, blank=True, editable=False)

    objects = ActorQuerySet.as_manager()

    class Meta:
        verbose_name = "出演者"
        verbose_name_plural = "出演者"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self._drop_page_image_url()

    def _drop_page_image_url(self) -> None:
        """A page URL (the old site wrote its root where there was no image) means no image."""
        self.image_url = self.image_url.strip() if images.is_image_url(self.image_url) else ""

    def save(self, *args, **kwargs):
        self._drop_page_image_url()
        self.bio_html = render_markdown(self.bio)
        images.fix_uploaded_extension(self.image)
        super().save(*args, **kwargs)
        if needs_renditions(self, "image"):
            build_renditions_on_commit(self, "image")

    def get_absolute_url(self) -> str:
        return reverse("episodes:actor", kwargs={"slug": self.slug})

    @property
    def image_src(self) -> str:
        if self.image:
            return self.image.url
        return self.image_url if images.is_image_url(self.image_url) else ""

    @property
    def portrait_src(self) -> str:
        """The voice's image for pages, else a neutral placeholder: a page never shows a broken or empty portrait."""
        return self.image_src or static(VOICE_PLACEHOLDER)

    def picture(self) -> Picture:
        """The portrait with the renditions pages print as srcset; the placeholder when there is none."""
        if self.image:
            return picture_for(self.image, self.renditions)
        return Picture(self.portrait_src)
