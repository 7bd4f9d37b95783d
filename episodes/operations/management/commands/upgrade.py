"""Every step a release needs after its code is in place, in order, safe to run again.

migrate (which also syncs the worker's job schedules), collectstatic, Markdown
rendered again (only rows whose HTML changes are saved), missing feed artwork
and page image renditions made, and the search index rebuilt when the release notes ask for it
(`--rebuild-search`). Run it on one machine, then reload web and worker
(docs/deploy.md, "Deploying a new version").
"""

import io
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "デプロイ後の手順（migrate、collectstatic、Markdown の再描画、フィード用画像、ページ用の縮小画像、必要なら検索索引）をまとめて実行します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild-search", action="store_true", help="検索索引も作り直します（リリースノートが求めるときに）。"
        )

    def handle(self, *args, rebuild_search, verbosity, **options):
        steps = [
            ("migrate", ("migrate",), {"interactive": False}),
            ("collectstatic", ("collectstatic",), {"interactive": False}),
            ("rerender_markdown", ("rerender_markdown",), {}),
            ("refresh_feed_artwork", ("refresh_feed_artwork",), {}),
            ("build_renditions", ("build_renditions",), {}),
        ]
        if rebuild_search:
            steps.append(("rebuild_search_index", ("rebuild_search_index",), {}))
        for label, command, options_ in steps:
            started = time.monotonic()
            out = io.StringIO()
            call_command(*command, stdout=out, verbosity=max(verbosity - 1, 0), **options_)
            lines = [line for line in out.getvalue().splitlines() if line.strip()]
            summary = lines[-1] if lines else "完了"
            self.stdout.write(f"  {label}: {summary}（{time.monotonic() - started:.1f} 秒）")
        self.stdout.write(
            self.style.SUCCESS("デプロイ後の手順がすべて終わりました。Web とワーカーを再読み込みしてください。")
        )
