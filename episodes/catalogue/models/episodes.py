"""Episodes, their cast and the news articles each one covers.

Every rule lives here (database constraints plus `clean()`), and derived
values are computed once at save time so that pages only print stored data.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from markdownx.models import MarkdownxField

from episodes.catalogue import stored_files
from episodes.catalogue.bounds import MAX_SECONDS, is_seconds, validate_moment
from episodes.catalogue.links import is_public_origin, youtube_video_id
from episodes.catalogue.markdown import render_markdown
from episodes.catalogue.models.cast import Actor
from episodes.catalogue.models.episode_addresses import EpisodeAddresses
from episodes.catalogue.models.episode_queries import HAS_AUDIO, EpisodeQuerySet, EpisodeStatus, episode_guid
from episodes.catalogue.models.revision import RevisionedModel
from episodes.catalogue.models.shows import Show
from episodes.catalogue.models.uploads import audio_upload_to, image_upload_to, thumbnail_upload_to
from episodes.catalogue.pictures import build_renditions_on_commit
from episodes.catalogue.search_text import normalize
from episodes.media import images
from episodes.media.audio import AudioError, AudioInfo, name_with_audio_extension
from episodes.media.audio_metadata import audio_metadata
from episodes.media.renditions import needs_renditions


class Episode(EpisodeAddresses, RevisionedModel):
    """One daily programme: audio, cast, the news it covers, a YouTube version."""

    Status = EpisodeStatus

    show = models.ForeignKey(Show, verbose_name="番組", on_delete=models.PROTECT, related_name="episodes")
    number = models.PositiveIntegerField(
        "番号",
        unique=True,
        validators=[MinValueValidator(1)],
        help_text="サイト全体の通し番号。URL /episode/番号 になります。",
    )
    title = models.CharField("タイトル", max_length=200)
    published_at = models.DateTimeField(
        "公開日時", default=timezone.now, validators=[validate_moment], help_text="未来の日時なら予約公開になります。"
    )
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField("内容紹介", blank=True)
    notice = models.TextField("お知らせ", blank=True)
    notes = MarkdownxField("ショーノート", blank=True, help_text="Markdown で書けます。")
    notes_html = models.TextField("ショーノート（HTML）", blank=True, editable=False)
    transcript = models.TextField(
        "文字起こし", blank=True, help_text="音声の台本（プレーンテキスト）。フィードとエピソードページに出ます。"
    )
    cast = models.ManyToManyField(Actor, verbose_name="出演者", through="Appearance", related_name="episodes")

    audio_file = models.FileField(
        "音声ファイル",
        upload_to=audio_upload_to,
        blank=True,
        max_length=500,
        help_text="MP3 または M4A。",
        db_index=True,  # /media/audio/ finds the episode of each requested file
    )
    audio_url = models.URLField(
        "外部の音声URL", max_length=1000, blank=True, help_text="ファイルを別の場所に置く場合だけ。"
    )
    audio_size = models.PositiveBigIntegerField("音声のサイズ（バイト）", null=True, blank=True, editable=False)
    audio_duration = models.FloatField("音声の長さ（秒）", null=True, blank=True, editable=False)
    audio_mime_type = models.CharField("音声の種類", max_length=50, blank=True, editable=False)
    audio_bitrate = models.PositiveIntegerField("ビットレート（bps）", null=True, blank=True, editable=False)
    # Why size or length is unknown (a probe that failed or has not run yet); "" once they are read.
    audio_problem = models.CharField("音声を読み取れない理由", max_length=500, blank=True, editable=False)

    image = models.ImageField(
        "画像",
        upload_to=image_upload_to,
        blank=True,
        max_length=500,
        validators=[images.validate_image],
        help_text="空なら番組のアートワークを使います。",
    )
    thumbnail = models.ImageField(
        "サムネイル", upload_to=thumbnail_upload_to, blank=True, max_length=500, editable=False
    )
    image_url = models.URLField(
        "外部の画像URL", max_length=1000, blank=True, help_text="画像ファイルがないときに使う、別の場所の画像。"
    )
    thumbnail_url = models.URLField("外部のサムネイルURL", max_length=1000, blank=True)
    renditions = models.JSONField("画像の縮小版", default=dict, blank=True, editable=False)
    # On S3: whether the bucket was last told this episode's objects are public (catalogue/stored_files.py).
    files_public = models.BooleanField("ファイルを公開済み", default=False, editable=False)
    social_card = models.CharField(
        "SNSカードの形",
        max_length=30,
        blank=True,
        choices=[("summary_large_image", "大きな画像"), ("summary", "小さな画像")],
        help_text="空なら大きな画像。",
    )
    youtube_url = models.URLField("YouTube版のURL", max_length=500, blank=True)
    youtube_id = models.CharField("YouTube動画ID", max_length=20, blank=True, editable=False)
    transcript_cues = models.JSONField(
        "文字起こしのタイミング",
        default=list,
        blank=True,
        editable=False,
        help_text="スライドのタイムラインから読んだ [開始秒, 終了秒, 台詞] の並び。",
    )

    # NULL until SITE_URL is a public origin: a guid is forever, and must not name a development server.
    guid = models.CharField("GUID", max_length=500, unique=True, null=True, editable=False)  # noqa: DJ001
    # Normalised copies for search (episodes/site/search.py), written on every save.
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        verbose_name = "エピソード"
        verbose_name_plural = "エピソード"
        ordering = ["-published_at", "-number"]
        indexes = [models.Index(fields=["status", "published_at"], name="episode_public_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="episode_number_positive"),
            models.CheckConstraint(condition=Q(audio_file="") | Q(audio_url=""), name="episode_one_audio_source"),
            models.CheckConstraint(
                condition=Q(status=EpisodeStatus.DRAFT) | HAS_AUDIO,
                name="episode_published_has_audio",
            ),
            models.CheckConstraint(
                condition=Q(audio_size__isnull=True) | Q(audio_size__gt=0), name="episode_audio_size_positive"
            ),
            models.CheckConstraint(
                condition=Q(audio_duration__isnull=True) | Q(audio_duration__gt=0),
                name="episode_audio_duration_positive",
            ),
            # Finite too: Infinity (and PostgreSQL's NaN, greater than every number) is past the bound.
            models.CheckConstraint(
                condition=Q(audio_duration__isnull=True) | Q(audio_duration__lte=MAX_SECONDS),
                name="episode_audio_duration_finite",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    def save(self, *args, **kwargs):
        if not self.guid and is_public_origin(settings.SITE_URL):
            # Set once, never recomputed: podcast apps identify episodes by it.
            self.guid = self.guid_on_site()
        self.youtube_id = youtube_video_id(self.youtube_url) or ""
        self.notes_html = render_markdown(self.notes)
        self.refresh_search_fields()
        self._refresh_audio_info()
        self._refresh_images()
        super().save(*args, **kwargs)
        if needs_renditions(self, "image"):
            build_renditions_on_commit(self, "image")
        stored_files.refresh_on_commit(self.pk)
        self._audio_info_for = self._audio_source()

    def delete(self, *args, **kwargs):
        """The row, then (after the commit) its stored audio, image and thumbnail (stored_files.py)."""
        names = stored_files.names_of([self])
        result = super().delete(*args, **kwargs)
        stored_files.remove_after_commit(names)
        return result

    def get_absolute_url(self) -> str:
        return reverse("episodes:episode", kwargs={"number": self.number})

    def guid_on_site(self) -> str:
        return episode_guid(settings.SITE_URL, self.number)

    @property
    def feed_guid(self) -> str:
        """The stored guid, or (until SITE_URL is public) the one it would get."""
        return self.guid or self.guid_on_site()

    # --- rules ------------------------------------------------------------

    def clean(self):
        errors = {}
        if self.youtube_url and not youtube_video_id(self.youtube_url):
            errors["youtube_url"] = "YouTube の動画URLとして読み取れません（watch?v=… や youtu.be/… の形）。"
        self._drop_page_image_urls()
        if self.audio_file and self.audio_url:
            errors["audio_url"] = "音声はファイルか外部URLのどちらか一方にしてください。"
        elif self.status == self.Status.PUBLISHED and not self.has_audio:
            errors["audio_file"] = "公開するには音声ファイルか外部の音声URLが必要です。"
        if "audio_file" not in errors and self._has_new_audio_upload():
            try:
                self.set_audio_info(audio_metadata(self.audio_file.file))
            except AudioError as exc:
                errors["audio_file"] = str(exc)
        if errors:
            raise ValidationError(errors)

    def refresh_search_fields(self) -> None:
        """The normalised copies the search index reads (episodes/site/search.py).

        Every title carries its show's name, which would make each a title match for it:
        only the rest of the title counts as the title; the whole title is in the body.
        """
        show_name = self.show.name if self.show_id else ""
        self.search_title = normalize(self.title.replace(show_name, " ") if show_name else self.title)
        self.search_body = normalize(f"{self.title}\n{self.description}\n{self.notice}")

    # --- audio --------------------------------------------------------------

    @property
    def has_audio(self) -> bool:
        """A file or an external URL: what publishing needs (HAS_AUDIO in the database)."""
        return bool(self.audio_file or self.audio_url)

    # The metadata fields describe one source; `_audio_info_for` remembers which (set on
    # load, save and by the two methods below) so a replaced source's numbers are forgotten.
    def _audio_source(self) -> tuple[str, str]:
        return (self.audio_file.name or "", self.audio_url or "")

    def _has_new_audio_upload(self) -> bool:
        return images.is_new_upload(self.audio_file) and getattr(self, "_audio_info_for", None) != self._audio_source()

    def set_audio_info(self, info: AudioInfo) -> None:
        """Record metadata read from the current audio source (`audio_metadata`'s answer)."""
        self.audio_size = info.size
        # A length no file can have (a broken header, a timeline's Infinity) is unknown, not stored.
        self.audio_duration = info.duration if is_seconds(info.duration) and info.duration else None
        self.audio_mime_type = info.mime_type
        self.audio_bitrate = info.bitrate or None
        self.audio_problem = ""
        self._audio_info_for = self._audio_source()

    def set_audio_problem(self, problem: str, *, duration: float | None = None) -> None:
        """Record why the current source's size and type are unknown; `duration` is a length known otherwise."""
        self.audio_size = self.audio_bitrate = None
        self.audio_mime_type = ""
        self.audio_duration = duration
        self.audio_problem = problem[: self._meta.get_field("audio_problem").max_length]
        self._audio_info_for = self._audio_source()

    def _refresh_audio_info(self) -> None:
        """Probe a new upload once; forget metadata that belongs to a replaced source."""
        if self._has_new_audio_upload():
            self.set_audio_info(audio_metadata(self.audio_file.file))
        if images.is_new_upload(self.audio_file):
            # Stored and served as what it is, whatever the uploader named or typed it.
            self.audio_file.name = name_with_audio_extension(self.audio_file.name, self.audio_mime_type)
            self.audio_file.file.content_type = self.audio_mime_type
            self._audio_info_for = self._audio_source()
            return
        known_source = getattr(self, "_audio_info_for", None)
        if known_source is not None and known_source != self._audio_source():
            self.audio_size = self.audio_duration = self.audio_bitrate = None
            self.audio_mime_type = self.audio_problem = ""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "audio_file" in field_names and "audio_url" in field_names:
            instance._audio_info_for = instance._audio_source()
        if "image" in field_names:
            instance._loaded_image = instance.image.name
        return instance

    # --- images ---------------------------------------------------------------

    def _drop_page_image_urls(self) -> None:
        """A page URL (the old site wrote its root where a post had no image) means no image."""
        self.image_url = self.image_url.strip() if images.is_image_url(self.image_url) else ""
        self.thumbnail_url = self.thumbnail_url.strip() if images.is_image_url(self.thumbnail_url) else ""

    def _refresh_images(self) -> None:
        self._drop_page_image_urls()
        if images.is_new_upload(self.image):
            images.fix_uploaded_extension(self.image)
            self.thumbnail.save(f"{self.number}.jpg", images.make_thumbnail(self.image.file), save=False)
        elif not self.image and getattr(self, "_loaded_image", ""):
            # The image was removed: its thumbnail goes too (an imported thumbnail alone stays).
            self.thumbnail = ""

    # --- derived values for pages and feeds -----------------------------------

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at > timezone.now()

    @property
    def publication(self) -> str:
        """draft, scheduled or published: what the public can see now (as `published()` decides)."""
        if self.status == self.Status.DRAFT:
            return "draft"
        return "scheduled" if self.is_scheduled else "published"

    @property
    def publication_label(self) -> str:
        return {"draft": "下書き", "scheduled": "予約", "published": "公開中"}[self.publication]

    @property
    def twitter_card(self) -> str:
        return self.social_card or "summary_large_image"

    @property
    def actors(self) -> list[Actor]:
        """The cast in order (uses the prefetched appearances)."""
        return [appearance.actor for appearance in self.appearances.all()]

    @property
    def credits(self) -> list[str]:
        """Credit lines the characters' terms require, once each, in cast order."""
        return list(dict.fromkeys(actor.credit for actor in self.actors if actor.credit))

    @property
    def feed_problem(self) -> str:
        """Why the episode is left out of the feeds (with the probe's reason when one is recorded), or ""."""
        if self.audio_size is None and self.audio_duration is None:
            unknown = "サイズと長さ"
        elif self.audio_size is None:
            unknown = "サイズ"
        elif self.audio_duration is None:
            unknown = "長さ"
        else:
            return ""
        reason = f"理由: {self.audio_problem}" if self.audio_problem else ""
        return f"音声の{unknown}がまだ分からないため、フィードに載りません。{reason}"

    @property
    def has_transcript(self) -> bool:
        return bool(self.transcript.strip())

    @property
    def has_timed_transcript(self) -> bool:
        """WebVTT needs timed lines from the slide timeline, or the audio's length to estimate them."""
        return self.has_transcript and (bool(self.transcript_cues) or bool(self.audio_duration))

    @property
    def has_chapters(self) -> bool:
        return any(article.start_seconds is not None for article in self.articles.all())

    @property
    def chapters_url(self) -> str:
        return reverse("episodes:chapters", kwargs={"number": self.number})

    @property
    def transcript_url(self) -> str:
        return reverse("episodes:transcript_text", kwargs={"number": self.number})

    @property
    def transcript_vtt_url(self) -> str:
        return reverse("episodes:transcript_vtt", kwargs={"number": self.number})

    @property
    def youtube_thumbnail_url(self) -> str:
        return f"https://i.ytimg.com/vi/{self.youtube_id}/hqdefault.jpg" if self.youtube_id else ""

    @property
    def youtube_embed_url(self) -> str:
        return f"https://www.youtube-nocookie.com/embed/{self.youtube_id}?autoplay=1" if self.youtube_id else ""
