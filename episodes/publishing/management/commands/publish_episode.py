"""Publish the pipeline's post of the day, with its MP3, script and timeline."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from episodes.catalogue.bounds import is_sane_moment
from episodes.catalogue.links import absolute_url
from episodes.publishing.importers.jekyll import PostError
from episodes.publishing.publish import UNCHANGED, ContentConflict, publish_post_file


class Command(BaseCommand):
    help = "パイプラインが書いた投稿（と横の MP3・台本・タイムライン）を1本のエピソードとして公開します。"

    def add_arguments(self, parser):
        parser.add_argument("post", type=Path, help="投稿ファイル（YYYY-MM-DD-番号.md）")
        parser.add_argument(
            "--audio", type=Path, help="MP3 ファイル（既定: 投稿の audio_file_path を投稿の近くで探す）"
        )
        parser.add_argument(
            "--publish-at", help="公開日時（ISO 8601、例 2026-08-21T06:00:00+09:00）。既定は投稿の date"
        )
        parser.add_argument("--draft", action="store_true", help="下書きとして取り込みます")
        parser.add_argument("--overwrite", action="store_true", help="同じ番号の別内容のエピソードを置き換えます")

    def handle(self, *args, post: Path, audio, publish_at, draft, overwrite, **options):
        when = None
        if publish_at:
            try:
                when = parse_datetime(publish_at)
            except ValueError:
                when = None
            if when is None or not is_sane_moment(when):
                raise CommandError(f"--publish-at を日時として読めません: {publish_at}")
            if is_naive(when):
                when = make_aware(when)
        try:
            outcome = publish_post_file(post, audio=audio, publish_at=when, draft=draft, overwrite=overwrite)
        except (PostError, ContentConflict, ValidationError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        episode = outcome.episode
        for _, message in outcome.warnings:
            self.stderr.write(self.style.WARNING(f"注意: {message}"))
        state = episode.publication_label
        verb = "変更なし" if outcome.status == UNCHANGED else {"created": "作成", "updated": "更新"}[outcome.status]
        self.stdout.write(self.style.SUCCESS(f"#{episode.number} を{verb}しました（{state}）"))
        self.stdout.write(absolute_url(episode.get_absolute_url()))
