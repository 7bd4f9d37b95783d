"""Say what of the old site would still break if the domain were switched now."""

import json
import logging
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from episodes.publishing.cutover import NEEDS_NETWORK, PROBLEM_LABELS, cutover_report
from episodes.publishing.importers.jekyll import PostError


class Command(BaseCommand):
    help = (
        "旧サイトのフォルダーと今のデータベースを突き合わせ、ドメインを切り替えたら壊れるものを一覧にします。"
        "何も書き込みません。問題が残っている間は終了コード 1 を返します（--offline: ネットワークが要るものは除く）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("site_dir", type=Path, help="旧サイト（Jekyll）のフォルダー")
        parser.add_argument("--json", action="store_true", dest="as_json", help="結果を JSON で出力します")
        parser.add_argument(
            "--offline",
            action="store_true",
            help="ネットワークが要るもの（まだ測れていない外部の音声）は問題にせず、注記として示します",
        )

    def handle(self, *args, site_dir: Path, as_json: bool, offline: bool, verbosity: int, **options):
        if not site_dir.is_dir():
            raise CommandError(f"{site_dir} はフォルダーではありません")
        # Each old address is asked once; Django's "Not Found" log lines would bury the report.
        request_log = logging.getLogger("django.request")
        level, request_log.level = request_log.level, logging.ERROR
        try:
            report = cutover_report(site_dir, offline=offline)
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
        write("フィードの項目数（切り替え前 → 後）:")
        for feed in report.feeds:
            before = "なし（新しいフィード）" if feed.before is None else f"{feed.before} 件"
            write(f"  {feed.path}: {before} → {feed.after} 件")
        write(f"旧サイトの URL: {report.urls_ok}/{report.urls_checked} 件が開けます（200 で同じ内容か、転送先が 200）")
        write("  " + "、".join(f"{kind} {n}" for kind, n in report.urls_by_kind.items()))
        write(f"公開中のエピソード: {report.episodes_in_feed}/{report.episodes} 件がフィードに載ります")
        write(f"  うち旧サイトで非公開だった _posts.bak/ から新しく公開: {report.newly_published} 件")
        write(
            f"記事: 元の投稿 {report.articles_in_source} 件（Markdown パーサーで数え直し）、保存 {report.articles_stored} 件"
        )
        self._rows("注記（切り替えは止めません）", report.notes, verbosity)
        if report.ready:
            write(self.style.SUCCESS("切り替えの準備ができています。"))
            return
        write(self.style.ERROR(f"切り替えるとまだ壊れるものが {len(report.problems)} 件あります:"))
        self._rows("", report.problems, verbosity)
        if {p.kind for p in report.problems} <= NEEDS_NETWORK:
            write("  残っているのはネットワークが要るものだけです（probe_audio で測るか、--offline で確認）。")

    def _rows(self, heading: str, rows, verbosity: int) -> None:
        if not rows:
            return
        write = self.stdout.write
        counts = Counter(row.kind for row in rows)
        if heading:
            write(heading + ":")
        for kind, n in counts.most_common():
            write(f"  {PROBLEM_LABELS.get(kind, kind)}: {n} 件")
        limit = None if verbosity >= 2 else 20
        for kind in counts:
            kind_rows = [row for row in rows if row.kind == kind]
            write(f"\n[{PROBLEM_LABELS.get(kind, kind)}]")
            for row in kind_rows[:limit]:
                write(f"  {row.where}: {row.detail}")
            if limit is not None and len(kind_rows) > limit:
                write(f"  …ほか {len(kind_rows) - limit} 件（-v 2 ですべて表示）")


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
