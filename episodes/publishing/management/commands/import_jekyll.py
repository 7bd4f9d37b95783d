"""Import the old Jekyll site: `_config.yml`, `_posts/` and `_posts.bak/`."""

from collections import Counter
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db.models import Count

from episodes.catalogue.models import Episode, Show, Weekday
from episodes.publishing.importers import before_archive_import
from episodes.publishing.importers.carry import carry_old_site
from episodes.publishing.importers.catalogue import (
    ShowUnknown,
    assign_artwork,
    import_station,
    learn_catalogue,
    missing_actor_images,
    show_name_for,
)
from episodes.publishing.importers.files import SiteFiles
from episodes.publishing.importers.jekyll import ARCHIVE_FOLDER, PostError, parse_post, post_files, read_config
from episodes.publishing.importers.old_site import MISSING, REDIRECT, STORED, VIEW
from episodes.publishing.importers.week import RECENT_WEEKS, infer_airing_slots
from episodes.publishing.publish import CREATED, SKIPPED, UNCHANGED, UPDATED, EditedInCms, prepare_post, publish_post

LABELS = {CREATED: "新規", UPDATED: "更新", UNCHANGED: "変更なし", SKIPPED: "スキップ"}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return (
            "、".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            if hasattr(exc, "error_dict")
            else "、".join(exc.messages)
        )
    return str(exc)


ARCHIVED_CHOICES = ("publish", "draft", "skip")
# Warnings about content that did not arrive: each is printed with its file (and line).
CONTENT_LEFT_BEHIND = {"article_unreadable", "article_without_url", "image_missing"}
# Warnings about a show's artwork: few, and the operator must see each one.
ARTWORK_WARNINGS = {"show_uses_station_artwork", "show_without_artwork", "show_artwork_scaled_up"}


class Command(BaseCommand):
    help = "Jekyll サイト（_config.yml、_posts/、_posts.bak/）を番組・出演者・エピソードとして取り込みます。何度実行しても重複しません。"

    def add_arguments(self, parser):
        parser.add_argument("site_dir", type=Path, help="Jekyll サイトのフォルダー")
        parser.add_argument("--audio-root", type=Path, help="/audio/… の MP3 を探すフォルダー（既定: SITE_DIR/audio）")
        parser.add_argument("--dry-run", action="store_true", help="何も書き込まず、何が起きるかだけ報告します")
        parser.add_argument("--only", metavar="GLOB", help="このパターンに合う投稿ファイルだけ（例: 2026-08-*）")
        parser.add_argument(
            "--overwrite", action="store_true", help="取り込み後に CMS で編集したエピソードも上書きします"
        )
        parser.add_argument(
            "--show-map", type=Path, metavar="YAML", help="タイトルの番組名 → 取り込み先の番組名の対応表"
        )
        parser.add_argument("--default-show", help="番組名を読み取れない投稿（特別回など）の行き先")
        parser.add_argument(
            "--probe",
            action="store_true",
            help="取り込んだあと、外部にある音声のサイズと長さを測ります（probe_audio と同じ。途中で止めても続きから）",
        )
        parser.add_argument(
            "--archived",
            choices=ARCHIVED_CHOICES,
            default="publish",
            help="旧サイトが公開していなかった _posts.bak/ の投稿: publish（公開、既定）、draft（下書き）、skip（取り込まない）",
        )

    def handle(
        self,
        *args,
        site_dir: Path,
        audio_root,
        dry_run,
        only,
        overwrite,
        show_map,
        default_show,
        archived,
        probe,
        verbosity,
        **options,
    ):
        if not site_dir.is_dir():
            raise CommandError(f"{site_dir} はフォルダーではありません")
        try:
            config = read_config(site_dir)
        except PostError as exc:
            raise CommandError(str(exc)) from exc
        mapping = {}
        if show_map:
            try:
                mapping = {
                    str(k): str(v) for k, v in (yaml.safe_load(show_map.read_text(encoding="utf-8")) or {}).items()
                }
            except (OSError, yaml.YAMLError, AttributeError) as exc:
                raise CommandError(f"--show-map {show_map} を読めません: {exc}") from exc

        self._make_room_for_a_real_archive(site_dir, dry_run=dry_run)
        files = post_files(site_dir, only=only)
        archived_files = {path for path in files if path.parent.name == ARCHIVE_FOLDER}
        if archived == "skip":
            files = [path for path in files if path not in archived_files]
        counts, warnings, skipped = Counter(), Counter(), []
        posts = []
        for path in files:
            try:
                posts.append(parse_post(path))
            except PostError as exc:
                skipped.append(str(exc))
        catalogue = learn_catalogue(posts, config=config, show_map=mapping, default_show=default_show)
        site = SiteFiles(site_dir=site_dir, base_url=config.url, audio_root=audio_root or site_dir / "audio")
        self._shows(posts, catalogue, dry_run=dry_run)
        if not dry_run:
            import_station(catalogue, site=site, overwrite=overwrite)

        total = len(posts)
        for done, post in enumerate(posts, start=1):
            try:
                found = site.files_for(post)
                # External audio is measured after the import (--probe: probe_audio, a few at a time).
                prepared = prepare_post(post, catalogue=catalogue, files=found, probe=False)
                draft = archived == "draft" and post.path in archived_files
                outcome = publish_post(
                    prepared, catalogue=catalogue, site=site, draft=draft, overwrite=overwrite, dry_run=dry_run
                )
            except EditedInCms as exc:
                counts[SKIPPED] += 1
                warnings["edited_in_cms"] += 1
                skipped.append(f"{post.path.name}: {exc}")
            except (PostError, ValidationError, DatabaseError, OSError, ValueError) as exc:
                counts[SKIPPED] += 1
                reason = str(exc) if isinstance(exc, PostError) else f"{post.path.name}: {_reason(exc)}"
                skipped.append(reason)
            else:
                counts[outcome.status] += 1
                for kind, message in outcome.warnings:
                    warnings[kind] += 1
                    if verbosity >= 2 or (verbosity >= 1 and kind in CONTENT_LEFT_BEHIND):
                        self.stdout.write(f"  注意: {message}")
            if verbosity >= 1 and (done % 50 == 0 or done == total):
                self.stderr.write(f"\r取り込み中 {done}/{total}", ending="")
                self.stderr.flush()
        if verbosity >= 1 and total:
            self.stderr.write("")

        counts[SKIPPED] += len(files) - total  # posts that could not even be parsed
        for kind, message in [] if dry_run else assign_artwork(main_show=catalogue.default_show, site=site):
            warnings[kind] += 1
            if verbosity >= 2 or (verbosity >= 1 and kind in ARTWORK_WARNINGS):
                self.stdout.write(f"  注意: {message}")
        for kind, message in missing_actor_images(catalogue, site=site):
            warnings[kind] += 1
            self.stdout.write(f"  注意: {message}")
        self._summary(counts, warnings, skipped, dry_run)
        self._old_site(site_dir, dry_run=dry_run)
        if not dry_run:
            self._week()
            self._show_addresses()
        if archived_files:
            label = {"publish": "公開しました", "draft": "下書きにしました", "skip": "取り込みませんでした"}[archived]
            if dry_run:
                label = {"publish": "公開します", "draft": "下書きにします", "skip": "取り込みません"}[archived]
            self.stdout.write(
                f"  {ARCHIVE_FOLDER}/（旧サイトで非公開）の投稿 {len(archived_files)} 件: {label}（--archived={archived}）"
            )
            if archived == "publish":
                self.stdout.write(
                    self.style.WARNING(
                        "  これらはフィードにも新しく載ります（旧 /feed.xml になかった回が購読者に届きます）。"
                        "載せないなら --archived=draft で取り込み直してください"
                    )
                )
        if probe and not dry_run:
            call_command("probe_audio", stdout=self.stdout, stderr=self.stderr, verbosity=verbosity)
        if not dry_run:
            self._feed_summary()
        if skipped:
            raise CommandError(f"{len(skipped)} 件の投稿を取り込めませんでした（上の一覧を見てください）")

    def _old_site(self, site_dir: Path, *, dry_run: bool) -> None:
        """Every other path the old site answered: its files stored at the same path, replaced pages redirected."""
        counts = carry_old_site(site_dir, dry_run=dry_run)
        verb = "します" if dry_run else "しました"
        self.stdout.write(
            f"  旧サイトのパス {sum(counts.values())} 件: 同じ内容で保存 {counts[STORED]}、"
            f"新しいページへ転送 {counts[REDIRECT]}、取り込んだエピソード・画像 {counts['kept']}、"
            f"ページが応答 {counts[VIEW]} に{verb}"
            + (f"。元のファイルがなく応答できないもの {counts[MISSING]} 件" if counts[MISSING] else "")
        )

    def _show_addresses(self) -> None:
        """Each show's short ASCII address, and how many former ones (Japanese, from earlier imports) redirect to it."""
        self.stdout.write("  番組のURL（管理画面の「番組」でスラッグを変えられます。以前のURLは転送されます）:")
        for show in Show.objects.annotate(former=Count("former_slugs")).order_by("pk"):
            moved = f"（以前のURL {show.former} 件をここへ転送）" if show.former else ""
            self.stdout.write(f"    {show.name} → /shows/{show.slug}/{moved}")

    def _week(self) -> None:
        """Airing slots from the archive's recent weeks, so the dashboard and the add form work on day one."""
        slots = infer_airing_slots()
        if not slots:
            self.stdout.write(
                "  放送枠: 直近の週から曜日ごとの番組を読み取れませんでした（管理画面の放送枠で設定してください）"
            )
            return
        self.stdout.write(f"  放送枠（直近 {RECENT_WEEKS} 週の公開日から推定。管理画面の「放送枠」で直せます）:")
        for slot in slots:
            state = "作成" if slot.created else "既存のまま"
            self.stdout.write(
                f"    {Weekday(slot.weekday).label} {slot.airs_at} {slot.show}"
                f"（ホスト {slot.host or 'なし'}、{slot.episodes} 回）: {state}"
            )

    def _shows(self, posts, catalogue, *, dry_run: bool) -> None:
        """Before writing: the shows the posts go to, the ones to be created, and the specials filed under a show."""
        per_show = Counter()
        for post in posts:
            try:
                per_show[show_name_for(post, catalogue)] += 1
            except ShowUnknown:
                continue  # named with its file when the post is written
        existing = set(Show.objects.filter(name__in=per_show).values_list("name", flat=True))
        verb = "作ります" if dry_run else "作成"
        for name, n in sorted(per_show.items(), key=lambda item: -item[1]):
            if name not in existing:
                self.stdout.write(f"  番組を{verb}: {name}（エピソード {n} 件）")
        for post in posts:
            name = post.show_name or post.title
            if name in catalogue.specials:
                self.stdout.write(
                    f"  特別回: {post.path.name}「{post.title}」は番組「{catalogue.specials[name]}」の回です（新しい番組にしません）"
                )

    def _feed_summary(self) -> None:
        """How many published episodes the feeds still leave out, and why (their size or length is unknown)."""
        published = Episode.objects.published()
        out = published.not_in_feed()
        if not out.exists():
            self.stdout.write(f"  フィード: 公開中の {published.count()} 件すべてが載っています")
            return
        external = out.exclude(audio_url="").count()
        line = f"  フィードに載らない公開エピソード: {out.count()} 件（音声のサイズか長さが不明）"
        if external:
            line += f"。うち外部の音声 {external} 件は probe_audio（または --probe）で測れます"
        self.stdout.write(self.style.WARNING(line))

    def _make_room_for_a_real_archive(self, site_dir: Path, *, dry_run: bool) -> None:
        """What would mix with a real station (the demo) is cleared first, by whoever put it there."""
        for _receiver, line in before_archive_import.send(sender=type(self), site_dir=site_dir, dry_run=dry_run):
            if line:
                self.stdout.write(line if dry_run else self.style.WARNING(line))

    def _summary(self, counts, warnings, skipped, dry_run) -> None:
        head = "（試行のみ: 何も書き込んでいません）" if dry_run else ""
        line = "、".join(f"{LABELS[s]} {counts[s]}" for s in (CREATED, UPDATED, UNCHANGED, SKIPPED))
        style = self.style.WARNING if skipped else self.style.SUCCESS
        self.stdout.write(style(f"取り込み結果{head}: {line}"))
        for kind, n in sorted(warnings.items()):
            self.stdout.write(f"  注意 {kind}: {n} 件")
        for reason in skipped:
            self.stdout.write(self.style.ERROR(f"  スキップ: {reason}"))
