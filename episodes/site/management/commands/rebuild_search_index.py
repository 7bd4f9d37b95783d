"""Rebuild the search index from scratch (after bulk SQL, a restore, or a new tokenizer)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from episodes.site.search import rebuild_index


class Command(BaseCommand):
    help = "全エピソードと関連リンクの検索用の正規化テキストと索引を作り直します。"

    def handle(self, *args, **options):
        with transaction.atomic():
            rows = rebuild_index()
        self.stdout.write(self.style.SUCCESS(f"検索索引を作り直しました（{rows} 行）。"))
