"""The embedded default's cache (episodes/serving/file_cache.py): one for every process, add() atomic."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from episodes.serving.file_cache import FileCache

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def file_cache(tmp_path):
    return FileCache(str(tmp_path / "cache"), {})


def test_add_takes_a_free_key_once(file_cache):
    assert file_cache.add("slot", 1, 60)
    assert not file_cache.add("slot", 2, 60)
    assert file_cache.get("slot") == 1


def test_add_is_atomic_across_threads(file_cache):
    winners = []
    barrier = threading.Barrier(16)

    def take():
        barrier.wait()
        if file_cache.add("contested", threading.get_ident(), 60):
            winners.append(threading.get_ident())

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert file_cache.get("contested") == winners[0]


def test_add_is_atomic_across_processes(tmp_path):
    code = (
        "import sys, time\n"
        "from episodes.serving.file_cache import FileCache\n"
        "cache = FileCache(sys.argv[1], {})\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start: pass\n"
        "print(sum(cache.add(f'slot{n}', 1, 60) for n in range(200)))\n"
    )
    start = str(time.time() + 1.5)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "cache"), start], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    taken = [int(run.communicate(timeout=60)[0]) for run in runs]
    assert sum(taken) == 200


def test_expired_entry_can_be_added_again(file_cache):
    assert file_cache.add("short", 1, 0.01)
    time.sleep(0.05)
    assert file_cache.add("short", 2, 60)


def test_clear_keeps_the_lock_file(file_cache):
    file_cache.add("slot", 1, 60)
    file_cache.clear()
    assert file_cache.get("slot") is None
    assert file_cache.add("slot", 1, 60)


def test_entries_stay_within_max_entries(tmp_path):
    """The documented bound (README, "Memory bounds"): MAX_ENTRIES files whatever is written."""
    from django.conf import settings

    bounded = FileCache(str(tmp_path / "bounded"), {"OPTIONS": {"MAX_ENTRIES": 30}})
    for n in range(200):
        bounded.set(f"page-{n}", b"x" * 1000, 60)
    assert len(bounded._list_cache_files()) <= 30
    assert settings.CACHES["default"]["BACKEND"] != "episodes.serving.file_cache.FileCache" or (
        settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] == 5000
    )
