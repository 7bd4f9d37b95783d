"""The live site's archive samples in ../shared/fixtures (test data, never copied into the project)."""

import shutil
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "zund-arm-on"

needs_samples = pytest.mark.skipif(
    not (SAMPLES / "_config.yml").is_file(), reason=f"the archive samples are not at {SAMPLES}"
)


def sample_site(tmp_path: Path, *, with_audio: bool = False) -> Path:
    """A writable copy of the samples; with_audio puts a real MP3 under every live post's audio name."""
    site = tmp_path / "site"
    shutil.copytree(SAMPLES, site)
    if with_audio:
        from .factories import MP3

        for post in (site / "_posts").glob("*.md"):
            for line in post.read_text(encoding="utf-8").splitlines():
                if line.startswith("audio_file_path: /audio/"):
                    shutil.copy(MP3, site / "audio" / line.split("/audio/", 1)[1].strip())
    return site
