"""Make the feed renditions of artwork stored before renditions existed (or lost since).

A rendition is made whenever artwork is saved; this command is for rows that
already held artwork Apple would refuse when the feature arrived, and for a
restore that brought the originals back without their renditions.
"""

from django.core.management.base import BaseCommand

from episodes.catalogue.models import Show, Station


class Command(BaseCommand):
    help = "番組と放送局のアートワークから、Apple の条件を満たすフィード用の画像を作り直します。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="作り直す対象を表示するだけにします。")

    def handle(self, *args, dry_run=False, **options):
        made = 0
        for channel in [*Station.objects.exclude(artwork=""), *Show.objects.exclude(artwork="")]:
            before = channel.feed_artwork.name
            if before and channel.feed_artwork.storage.exists(before):
                continue  # made already; a new upload makes a new one
            if dry_run:
                self.stdout.write(f"{channel.name}: {channel.artwork.name}")
                continue
            channel._refresh_feed_artwork()
            if channel.feed_artwork.name != before:
                channel.save(update_fields=["feed_artwork"])
                made += 1
                self.stdout.write(f"{channel.name}: {channel.feed_artwork.name}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"フィード用のアートワークを {made} 件作りました。"))
