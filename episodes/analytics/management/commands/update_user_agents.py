"""Replace the vendored OPAWG podcast user-agents list with a newer copy, from a folder or a URL.

The source is the list's `build/` folder (`*.runtime.json`) or its `src/`
folder (full entries), local or at a URL such as
https://raw.githubusercontent.com/opawg/user-agents-v2/master/build/ .
Every file is read and every pattern compiled before any file is replaced.
Aggregation runs after an update use the new list; counts already made stay.
"""

import json
import re
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from episodes.analytics import agents
from episodes.media.remote_http import is_external

DEFAULT_SOURCE = "https://raw.githubusercontent.com/opawg/user-agents-v2/master/build/"


def _read(source: str, kind: str) -> bytes:
    names = (f"{kind}.runtime.json", f"{kind}.json")
    if is_external(source):
        base = source if source.endswith("/") else source + "/"
        errors = []
        for name in names:
            try:
                with urllib.request.urlopen(base + name, timeout=30) as response:  # noqa: S310 (an editor's URL)
                    return response.read()
            except OSError as exc:
                errors.append(f"{base + name}: {exc}")
        raise CommandError("読めませんでした: " + "; ".join(errors))
    folder = Path(source)
    for name in names:
        if (folder / name).is_file():
            return (folder / name).read_bytes()
    raise CommandError(f"{folder} に {kind}.runtime.json も {kind}.json もありません。")


def _runtime(data: bytes, kind: str) -> dict:
    try:
        entries = json.loads(data)["entries"]
        kept = []
        for entry in entries:
            re.compile(entry["pattern"])
            kept.append({k: entry[k] for k in ("name", "pattern", "category") if k in entry})
    except (ValueError, KeyError, TypeError, re.error) as exc:
        raise CommandError(f"{kind}: 読めないデータです（{exc}）。") from exc
    if not kept:
        raise CommandError(f"{kind}: エントリが一つもありません。")
    return {"entries": kept}


class Command(BaseCommand):
    help = "OPAWG のポッドキャスト User-Agent 一覧（ボット・アプリ・端末の判定に使う）を更新します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="source", default=DEFAULT_SOURCE, help="build/ か src/ のフォルダ、またはその URL。"
        )
        parser.add_argument("--dry-run", action="store_true", help="読んで確かめるだけで、置き換えません。")

    def handle(self, *args, source, dry_run, verbosity, **options):
        tables = {kind: _runtime(_read(source, kind), kind) for kind in agents.FILES}
        for kind, table in tables.items():
            if verbosity >= 2:
                self.stdout.write(f"  {kind}: {len(table['entries'])} 件")
        summary = "、".join(f"{kind} {len(t['entries'])} 件" for kind, t in tables.items())
        if dry_run:
            self.stdout.write(f"{summary}を読みました（--dry-run のため置き換えていません）。")
            return
        folder = agents.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for kind, table in tables.items():
            text = json.dumps(table, ensure_ascii=False, indent=2) + "\n"
            (folder / f"{kind}.json").write_text(text, encoding="utf-8")
        agents.reload()
        self.stdout.write(self.style.SUCCESS(f"User-Agent 一覧を更新しました（{folder}）: {summary}。"))
