"""A real full disk for a test: a small tmpfs mounted under the test's own folder, then filled.

Mounting needs root (CI's container, this machine); elsewhere the caller
skips and says so. Each mount is the test's own and is unmounted after it,
so nothing outlives the test, whatever else runs at the same time.
"""

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

DISK_BYTES = 256 * 1024


@contextmanager
def small_disk(parent: Path | None = None, size: int = DISK_BYTES) -> Iterator[Path]:
    """A fresh tmpfs of `size` bytes; skips the test when this machine cannot mount one."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the media folder needs root")
    mount = Path(tempfile.mkdtemp(prefix="small-disk-", dir=parent))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if result.returncode:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


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
