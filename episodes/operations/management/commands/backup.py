"""Make a consistent copy of the database and the local media into one new folder.

SQLite: the online backup API (`.backup`), consistent while the site runs.
PostgreSQL: `pg_dump --format=custom` (one snapshot). Local media: a tar of
MEDIA_ROOT (with media in S3, the bucket's own versioning or replication is
the backup, and only the database is copied). A `manifest.json` records each
file's size and SHA-256. Restoring is in docs/deploy.md ("Backups and restore").
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import tarfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_sqlite(target: Path) -> None:
    # Through Django's own connection: the same database whatever its name (a file, or a test's memory).
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


def backup_postgresql(target: Path) -> None:
    params = settings.DATABASES["default"]
    env = {**os.environ, "PGPASSWORD": params.get("PASSWORD") or ""}
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", "--dbname", params["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if params.get(key):
            command += [flag, str(params[key])]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode:
        raise CommandError(f"pg_dump が失敗しました: {result.stderr.strip()}")


class Command(BaseCommand):
    help = "データベースとローカルのメディアを、新しいフォルダに一貫した状態でバックアップします。"

    def add_arguments(self, parser):
        parser.add_argument("destination", help="バックアップを置くフォルダ（中に日時の名前のフォルダを作ります）。")

    def handle(self, *args, destination, verbosity, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        folder = Path(destination) / f"zundapod-{stamp}"
        folder.mkdir(parents=True, exist_ok=False)
        started = time.monotonic()
        if connection.vendor == "sqlite":
            database = folder / "db.sqlite3"
            backup_sqlite(database)
        elif connection.vendor == "postgresql":
            database = folder / "db.dump"
            backup_postgresql(database)
        else:
            raise CommandError(f"{connection.vendor} のバックアップには対応していません。")
        files = [database]
        media_root = Path(settings.MEDIA_ROOT)
        if not settings.MEDIA_ON_S3 and media_root.is_dir():
            media = folder / "media.tar"
            with tarfile.open(media, "w") as archive:
                archive.add(media_root, arcname=".")
            files.append(media)
        manifest = {
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "media": "s3" if settings.MEDIA_ON_S3 else "local",
            "files": {path.name: {"bytes": path.stat().st_size, "sha256": sha256(path)} for path in files},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        total = sum(item["bytes"] for item in manifest["files"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"バックアップしました: {folder}（{', '.join(manifest['files'])}、{total:,} バイト、"
                f"{time.monotonic() - started:.1f} 秒）"
            )
        )
        self.stdout.write(str(folder))
