"""Demo content for `make run`: our own small archive in the live site's format.

`site/` is a Jekyll site like the station's (config, posts, MP3s with a script
and a slide timeline, images), loaded through `import_jekyll`, so every
`make run` exercises the importer. It is loaded only into a database that holds
no episodes, so it is never mixed into real data. The MP3s are short generated
chimes (see `site/audio/README.md`); the images were drawn with Pillow.
"""

import io
from pathlib import Path

from django.core.management import call_command

DEMO_SITE = Path(__file__).parent / "site"


def load_demo_content() -> str:
    """Import the demo archive; returns the importer's summary."""
    out = io.StringIO()
    call_command("import_jekyll", str(DEMO_SITE), stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()
