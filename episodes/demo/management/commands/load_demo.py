"""Load demo content into an empty site (never into one that has episodes)."""

from django.core.management.base import BaseCommand

from episodes.catalogue.models import Episode
from episodes.demo.content import load_demo_content


class Command(BaseCommand):
    help = "エピソードが1件もないデータベースにだけ、デモ用の番組・出演者・エピソードを取り込みます。"

    def handle(self, *args, **options):
        if Episode.objects.exists():
            if options["verbosity"] >= 1:
                self.stdout.write("エピソードがすでにあるので、デモ用データは入れませんでした。")
            return
        summary = load_demo_content()
        self.stdout.write(self.style.SUCCESS(f"デモ用のアーカイブを取り込みました。{summary}"))
