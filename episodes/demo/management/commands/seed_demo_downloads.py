"""Generate a few days of demo downloads so the admin's charts show something (demo content only)."""

from django.core.management.base import BaseCommand, CommandError

from episodes.demo.downloads import seed_demo_downloads


class Command(BaseCommand):
    help = (
        "デモ用のエピソードに、数日分の作り物のダウンロードを入れて集計します（デモがないか集計済みなら何もしません）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=14, help="何日分作るか（既定 14）。")

    def handle(self, *args, days, verbosity, **options):
        if not 1 <= days <= 60:
            raise CommandError("--days は 1 から 60 までにしてください。")
        counted = seed_demo_downloads(days=days)
        if counted:
            self.stdout.write(self.style.SUCCESS(f"デモ用のダウンロードを {days} 日分作り、{counted} 件と数えました。"))
        elif verbosity >= 1:
            self.stdout.write("デモがないか、すでに集計済みのデータがあるので、何もしませんでした。")
