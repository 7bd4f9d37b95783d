"""Say what of the old site would still break if the domain were switched now."""

import json
import logging
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from episodes.cutover import PROBLEM_LABELS, cutover_report
from episodes.importers.jekyll import PostError


class Command(BaseCommand):
    help = (
        "旧サイトのフォルダーと今のデータベースを突き合わせ、ドメインを切り替えたら壊れるものを一覧にします。"
        "何も書き込みません。問題が残っている間は終了コード 1 を返します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("site_dir", type=Path, help="旧サイト（Jekyll）のフォルダー")
        parser.add_argument("--json", action="store_true", dest="as_json", help="結果を JSON で出力します")

    def handle(self, *args, site_dir: Path, as_json: bool, verbosity: int, **options):
        if not site_dir.is_dir():
            raise CommandError(f"{site_dir} はフォルダーではありません")
        # Each old address is asked once; Django's "Not Found" log lines would bury the report.
        request_log = logging.getLogger("django.request")
        level, request_log.level = request_log.level, logging.ERROR
        try:
            report = cutover_report(site_dir)
        except PostError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            request_log.setLevel(level)
        if as_json:
            self.stdout.write(_json(report.as_dict()))
        else:
            self._text(report, verbosity)
        if not report.ready:
            raise SystemExit(1)

    def _text(self, report, verbosity: int) -> None:
        write = self.stdout.write
        write(f"旧フィードの項目: {report.old_feed_items_present}/{report.old_feed_items} 件が新しいフィードにあります")
        write(f"旧サイトの URL: {report.urls_ok}/{report.urls_checked} 件が開けます（200 か転送先が 200）")
        write(f"公開中のエピソード: {report.episodes_in_feed}/{report.episodes} 件がフィードに載ります")
        write(f"記事: 元の投稿 {report.articles_in_source} 件、保存 {report.articles_stored} 件")
        write(f"フィード: {report.feeds_checked} 本を確認しました")
        if report.ready:
            write(self.style.SUCCESS("切り替えの準備ができています。"))
            return
        counts = Counter(problem.kind for problem in report.problems)
        write(self.style.ERROR(f"切り替えるとまだ壊れるものが {len(report.problems)} 件あります:"))
        for kind, n in counts.most_common():
            write(f"  {PROBLEM_LABELS.get(kind, kind)}: {n} 件")
        limit = None if verbosity >= 2 else 20
        for kind in counts:
            rows = [p for p in report.problems if p.kind == kind]
            write(f"\n[{PROBLEM_LABELS.get(kind, kind)}]")
            for problem in rows[:limit]:
                write(f"  {problem.where}: {problem.detail}")
            if limit is not None and len(rows) > limit:
                write(f"  …ほか {len(rows) - limit} 件（-v 2 ですべて表示）")


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
