"""What the importer remembers about each post it wrote: bookkeeping, kept off the episode itself."""

from django.db import models

from episodes.catalogue.models.episodes import Episode


class ImportRecordQuerySet(models.QuerySet):
    def latest_for(self, number: int) -> "ImportRecord | None":
        """The record of the last import of episode `number`, from whichever source file."""
        return self.filter(episode__number=number).order_by("-imported_at", "-pk").first()


class ImportRecord(models.Model):
    """One episode imported from one source file (a Jekyll post, the pipeline's post of the day).

    `source_hash` fingerprints the post as last imported (an unchanged post is
    skipped), `written_hash` the row the import wrote (a row that differs was
    edited in the CMS since), `audio_sha256` the MP3 it stored (a re-rendered
    MP3 of the same size is still noticed). Not listener-visible: saving one
    moves no site revision.
    """

    episode = models.ForeignKey(
        Episode, verbose_name="エピソード", on_delete=models.CASCADE, related_name="import_records"
    )
    source = models.CharField("取り込み元のファイル", max_length=255, blank=True)
    source_hash = models.CharField("取り込み元のハッシュ", max_length=64, blank=True)
    written_hash = models.CharField("取り込み時の内容のハッシュ", max_length=64, blank=True)
    audio_sha256 = models.CharField("音声のSHA-256", max_length=64, blank=True)
    imported_at = models.DateTimeField("取り込み日時", auto_now=True)

    objects = ImportRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "取り込みの記録"
        verbose_name_plural = "取り込みの記録"
        constraints = [
            models.UniqueConstraint(fields=["episode", "source"], name="import_record_one_per_source"),
        ]

    def __str__(self) -> str:
        return f"#{self.episode.number} ← {self.source or '（不明）'}"
