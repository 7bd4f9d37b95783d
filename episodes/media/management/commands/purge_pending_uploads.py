"""Delete files uploaded from the episode form that no saved episode took.

The admin uploads audio and images as soon as they are chosen (see
episodes/media/pending_uploads.py); an editor who closes the tab leaves them behind.
Run it daily; `--dry-run` lists without deleting.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from episodes.media.pending_uploads import MAX_AGE, delete_pending_file, stale_pending_files


class Command(BaseCommand):
    help = "エピソードの保存に使われなかったアップロード途中のファイルを削除します（--dry-run で一覧だけ）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=int(MAX_AGE.total_seconds() // 3600),
            metavar="HOURS",
            help="アップロードからこの時間数より古いものを削除します（既定 %(default)s 時間）。",
        )
        parser.add_argument("--dry-run", action="store_true", help="削除せず、対象のファイルだけ表示します。")

    def handle(self, *args, older_than, dry_run, verbosity, **options):
        if older_than < 1:
            raise CommandError("--older-than は 1 以上の時間数で指定してください。")
        stale = stale_pending_files(older_than=timedelta(hours=older_than))
        for path in stale:
            if verbosity >= 2 or dry_run:
                self.stdout.write(f"  {path}")
            if not dry_run:
                delete_pending_file(path)
        if dry_run:
            self.stdout.write(
                f"{older_than} 時間より古い保存待ちのファイルは {len(stale)} 件です（--dry-run のため削除していません）。"
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"{older_than} 時間より古い保存待ちのファイルを {len(stale)} 件削除しました。")
        )
