"""A full media disk, for real: a small tmpfs as MEDIA_ROOT (issue 24, finding 12).

Mounting needs root (CI's container, this machine); elsewhere the tests skip
and say so. Each test mounts its own tmpfs under its own temporary folder
and unmounts it, so nothing outlives it.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from episodes.models import Episode

from ..factories import MP3, episode_form, make_episode, make_show, mp3_upload

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/episodes/episode/pending-upload/"
DISK_BYTES = 256 * 1024


@pytest.fixture
def small_disk(tmp_path, settings):
    mount = tmp_path / "small-media"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the media folder needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    settings.MEDIA_ROOT = mount
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path, leave: int) -> Path:
    """Fill the disk until about `leave` bytes are free: less than one upload."""
    filler = mount / "filler"
    stats = os.statvfs(mount)
    free = stats.f_bavail * stats.f_frsize
    filler.write_bytes(b"\0" * max(free - leave, 0))
    return filler


def files_under(mount: Path, folder: str) -> list[tuple[str, int]]:
    root = mount / folder
    return sorted((str(p.relative_to(mount)), p.stat().st_size) for p in root.rglob("*") if p.is_file())


class TestFullMediaDisk:
    def test_a_pending_upload_gets_a_japanese_507_and_leaves_no_partial_file(self, small_disk, admin_client):
        fill(small_disk, leave=MP3.stat().st_size // 2)

        response = admin_client.post(UPLOAD_URL, {"file": mp3_upload("daily.mp3"), "kind": "audio"})

        assert response.status_code == 507
        assert response["Content-Type"] == "application/json"
        assert "保存領域がいっぱい" in response.json()["error"]
        assert files_under(small_disk, "pending") == []

    def test_saving_an_episode_keeps_what_was_saved_and_leaves_no_empty_file(self, small_disk, admin_client):
        saved = make_episode(number=7)
        saved_bytes = default_storage.open(saved.audio_file.name).read()
        filler = fill(small_disk, leave=MP3.stat().st_size // 2)
        before = files_under(small_disk, "audio")

        data = episode_form(make_show(), number=100, audio_file=mp3_upload("new.mp3"))
        response = admin_client.post("/admin/episodes/episode/add/", data, follow=True)

        assert response.status_code == 200
        assert "保存領域がいっぱい" in response.text
        assert not Episode.objects.filter(number=100).exists()
        assert files_under(small_disk, "audio") == before  # no partial, no 0-byte orphan
        assert default_storage.open(saved.audio_file.name).read() == saved_bytes

        filler.unlink()  # room again: the same form saves
        data = episode_form(make_show(), number=100, audio_file=mp3_upload("new.mp3"))
        assert admin_client.post("/admin/episodes/episode/add/", data).status_code == 302
        assert Episode.objects.get(number=100).audio_size == MP3.stat().st_size
