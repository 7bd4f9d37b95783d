"""A full var/ under `make run` on the embedded default (SQLite, file cache), issue 24 item 2.

var/ is a small tmpfs the test mounts (root, or CAP_SYS_ADMIN, needed; the
test skips saying so otherwise), then fills to the last byte.
"""

import contextlib
import subprocess
import time

import pytest

from .conftest import Site, percentile
from .helpers import public_pages, quoted

LETTER = {"radio_name": "満杯のずんだ餅", "message": "ディスクがいっぱいでも\n消えないお便りです。"}


@pytest.fixture(scope="module")
def full_var_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    var = folder / "var"
    var.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(var)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs for var/ here ({mounted.stderr.decode().strip()}): needs root")
    site = Site(folder)
    try:
        site.start()
        yield site, var
    finally:
        site.stop()
        subprocess.run(["umount", "-l", str(var)], check=False)


def _fill(folder) -> None:
    """Write until the disk refuses another byte (unbuffered: nothing is left to fail at close)."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * size)


def test_a_full_var_keeps_pages_and_loses_no_letter(full_var_site):
    site, var = full_var_site
    pages = [quoted(path) for path in public_pages(site)]
    for _ in range(2):
        for path in pages:
            assert site.get(path).status == 200, path
    csrf = site.letter_form()
    _fill(var)
    try:
        replies = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            replies += [site.get(path) for path in pages]
        assert {r.status for r in replies} == {200}
        letter = site.post_letter(csrf, **LETTER)
        print(
            f"\nfull var/: {len(replies)} cached requests, 0 5xx, p95 {percentile([r.seconds for r in replies], 0.95) * 1000:.0f} ms; "
            f"a letter: {letter.status}"
        )
        # Either stored (SQLite found room in its own pages) or handed back whole: never lost.
        if letter.status == 503:
            assert LETTER["radio_name"] in letter.text and LETTER["message"] in letter.text
            assert letter.headers["Retry-After"]
        else:
            assert letter.status == 302
    finally:
        (var / "filler").unlink()
    if letter.status == 503:
        assert site.post_letter(csrf, **LETTER).status == 302
    stored = site.shell(
        f"from episodes.letters.models import Letter; print(Letter.objects.filter(radio_name={LETTER['radio_name']!r}).count())"
    )
    assert stored.strip() == "1"
