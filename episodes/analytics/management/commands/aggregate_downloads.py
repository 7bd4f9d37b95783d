"""Count downloads from the raw audio hits by the IAB rules, then prune raw hits past 48 hours.

Meant for cron or a systemd timer every few minutes; each run recounts only
the days that still have raw hits (today and yesterday).
"""

from django.core.management.base import BaseCommand

from episodes.analytics.rules import aggregate_downloads


class Command(BaseCommand):
    help = "音声リクエストの生データから IAB の規則でダウンロード数を集計し、48 時間を過ぎた生データを削除します。"

    def add_arguments(self, parser):
        parser.add_argument("--keep-raw", action="store_true", help="集計だけして、古い生データを削除しません。")

    def handle(self, *args, keep_raw, verbosity, **options):
        result = aggregate_downloads(prune=not keep_raw)
        if verbosity >= 2:
            for day in result.days:
                self.stdout.write(f"  {day:%Y-%m-%d} を集計しました")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.days)} 日分、{result.hits} 件のリクエストから {result.downloads} ダウンロードを数えました"
                f"（古い生データ {result.pruned} 件を削除）。"
            )
        )
