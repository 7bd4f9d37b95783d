"""manage.py backup (a consistent copy of the database and local media) and manage.py upgrade (post-deploy steps)."""

import json
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from episodes.catalogue.models import Episode
from tests.factories import make_episode


def backup(tmp_path, capsys) -> Path:
    call_command("backup", str(tmp_path / "backups"))
    return Path(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_backup_holds_the_database_and_every_media_byte(tmp_path, capsys, settings):
    episode = make_episode()
    folder = backup(tmp_path, capsys)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"] == connection.vendor and manifest["media"] == "local"
    with tarfile.open(folder / "media.tar") as archive:
        member = archive.extractfile(f"./{episode.audio_file.name}")
        assert member.read() == (Path(settings.MEDIA_ROOT) / episode.audio_file.name).read_bytes()
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(folder / "db.sqlite3")
        assert copy.execute("SELECT number FROM catalogue_episode").fetchall() == [(episode.number,)]
        copy.close()
    else:
        listing = subprocess.run(["pg_restore", "--list", folder / "db.dump"], capture_output=True, text=True)
        assert "TABLE DATA public catalogue_episode" in listing.stdout
    assert manifest["files"]["media.tar"]["bytes"] == (folder / "media.tar").stat().st_size


@pytest.mark.django_db(transaction=True)
def test_upgrade_runs_every_step_and_again_changes_nothing(tmp_path, capsys, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    make_episode(notes="**太字**")
    call_command("upgrade", "--rebuild-search")
    first = capsys.readouterr().out
    steps = ("migrate", "collectstatic", "rerender_markdown", "refresh_feed_artwork", "build_renditions")
    for step in (*steps, "rebuild_search_index"):
        assert f"  {step}: " in first
    before = list(Episode.objects.values_list("pk", "updated_at", "notes_html"))
    call_command("upgrade")
    assert list(Episode.objects.values_list("pk", "updated_at", "notes_html")) == before
