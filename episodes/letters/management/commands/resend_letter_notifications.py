"""E-mail staff about letters whose notification never went out (the mail server was down).

Safe to run from cron: letters already notified, or younger than a few
minutes (their own notification may be on its way), are left alone.
Exits non-zero when any e-mail still fails.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from episodes.letters import inbox as letters


class Command(BaseCommand):
    help = "スタッフへの通知メールが送れなかったお便りについて、通知を送り直します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=7, help="受信からこの日数以内のお便りだけを対象にします（既定: 7）。"
        )
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=5,
            help="受信からこの分数に満たないお便りは、通知が送信中かもしれないので飛ばします（既定: 5）。",
        )
        parser.add_argument("--dry-run", action="store_true", help="送らずに、対象の件数だけ表示します。")

    def handle(self, *args, days, grace_minutes, dry_run, verbosity, **options):
        if days < 1 or grace_minutes < 0:
            raise CommandError("--days は 1 以上、--grace-minutes は 0 以上で指定してください。")
        if not letters.letter_settings().notify_emails:
            # Not an error on a schedule: a site may simply not e-mail its staff.
            if verbosity >= 1:
                self.stdout.write("通知先（LETTERS_NOTIFY_EMAILS）がないので、送るものはありません。")
            return
        result = letters.resend_missed_notifications(
            since=timezone.now() - timedelta(days=days), grace=timedelta(minutes=grace_minutes), dry_run=dry_run
        )
        if dry_run:
            self.stdout.write(f"通知していないお便りは {result.pending} 件です（--dry-run のため送っていません）。")
            return
        if result.failed:
            raise CommandError(
                f"{result.pending} 件のうち {result.sent} 件を通知し、{result.failed} 件は送れませんでした（ログを確認してください）。"
            )
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"{result.sent} 件のお便りについて、スタッフに通知しました。"))
