"""Tell the WebSub hub about changes no save announced: scheduled episodes whose time has come.

Run every minute from cron. It pings when what the feeds show has changed
since its last successful ping (the content revision, or the set of visible
episodes, which grows without any write when a scheduled time passes).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max

from episodes.catalogue.models import Episode, Show, SiteRevision
from episodes.feeds import websub


def feeds_fingerprint() -> str:
    """What every feed shows, in two small queries."""
    revision, _ = SiteRevision.current()
    visible = Episode.objects.published().in_feed().aggregate(count=Count("pk"), latest=Max("published_at"))
    return f"{revision}|{visible['count']}|{visible['latest']}"


class Command(BaseCommand):
    help = "予約公開の時刻が来たエピソードなど、フィードの変化を WebSub ハブに知らせます（毎分の実行を想定）。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="変化がなくても知らせます。")
        parser.add_argument("--dry-run", action="store_true", help="知らせるフィードを表示するだけにします。")

    def handle(self, *args, force=False, dry_run=False, **options):
        if not websub.enabled():
            self.stdout.write("WEBSUB_HUB_URL が設定されていないので、何もしませんでした。")
            return
        fingerprint = feeds_fingerprint()
        if not force and SiteRevision.hub_announced_state() == fingerprint:
            if options["verbosity"] >= 2:
                self.stdout.write("前回から変化はありません。")
            return
        shows = Show.objects.filter(pk__in=Episode.objects.published().in_feed().values("show"))
        urls = websub.feed_urls(shows)
        if dry_run:
            self.stdout.write("\n".join(urls))
            return
        if not websub.ping(urls):
            raise CommandError("ハブへの通知に失敗しました（次の実行でもう一度知らせます）。")
        # Remembered only after the hub accepted, so a failed ping is retried next minute.
        SiteRevision.remember_hub_announced(fingerprint)
        self.stdout.write(self.style.SUCCESS(f"{len(urls)} 件のフィードをハブに知らせました。"))
