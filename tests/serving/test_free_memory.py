"""Freed heap pages go back to the operating system (episodes/serving/free_memory.py)."""

import os

import pytest

from episodes.serving.free_memory import CAN_TRIM, give_back_free_memory

pytestmark = [
    pytest.mark.skipif(not CAN_TRIM, reason="this C library has no malloc_trim (glibc has)"),
    pytest.mark.skipif(
        bool(os.environ.get("LD_PRELOAD")), reason="another allocator is preloaded (glibc's is measured)"
    ),
]


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_pages_freed_below_a_live_object_are_given_back():
    # 60 MB in malloc-sized pieces (pymalloc keeps only small ones), then one piece kept
    # above them: the heap cannot shrink from the top, so the freed pages stay resident.
    pieces = [bytearray(b"x" * 2000) for _ in range(30_000)]
    kept = bytearray(b"y" * 2000)
    held = resident_mb()
    del pieces
    freed = resident_mb()
    give_back_free_memory()
    trimmed = resident_mb()
    assert kept  # still alive, so nothing below it could be returned by shrinking the heap
    assert held - trimmed > 40, (held, freed, trimmed)
    assert freed - trimmed > 40, (held, freed, trimmed)
