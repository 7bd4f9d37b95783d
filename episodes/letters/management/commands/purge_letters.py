"""Delete archived letters older than a number of days: listeners' words are not kept forever.

Only letters staff have archived are removed; unread, picked and aired ones
stay whatever their age. `--dry-run` counts without deleting.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from episodes.letters.models import Letter


class Command(BaseCommand):
    help = "アーカイブ済みで、受信から指定日数より古いお便りを削除します（--dry-run で件数の確認だけ）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, required=True, metavar="DAYS", help="受信からこの日数より古いものを削除します。"
        )
        parser.add_argument("--dry-run", action="store_true", help="削除せず、対象の件数だけ表示します。")

    def handle(self, *args, older_than, dry_run, verbosity, **options):
        if older_than < 1:
            raise CommandError("--older-than は 1 以上の日数で指定してください。")
        cutoff = timezone.now() - timedelta(days=older_than)
        with transaction.atomic():
            letters = Letter.objects.purgeable(before=cutoff)
            if verbosity >= 2:
                for letter in letters.order_by("received_at"):
                    received = timezone.localtime(letter.received_at)
                    self.stdout.write(f"  {letter.pk}: {received:%Y-%m-%d} {letter.radio_name}")
            if dry_run:
                count = letters.count()
                self.stdout.write(
                    f"{older_than} 日より古いアーカイブ済みのお便りは {count} 件です（--dry-run のため削除していません）。"
                )
                return
            count, _ = letters.delete()
        self.stdout.write(
            self.style.SUCCESS(f"{older_than} 日より古いアーカイブ済みのお便りを {count} 件削除しました。")
        )
