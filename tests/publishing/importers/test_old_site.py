"""The old site's public set, worked out as its two builds did, and every path of it answered (importers/old_site.py,
importers/carry.py, legacy.py)."""

import io
from urllib.parse import quote

import pytest
from django.core.management import call_command

from episodes.publishing.importers.old_site import public_set
from tests.factories import MP3, add_post, image_bytes, jekyll_config, jekyll_post, jekyll_site

pytestmark = pytest.mark.django_db

SHOW = "旧番組"
EXCLUDE = "exclude:\n  - public\n  - src\n  - _posts.bak\n  - README.md\n  - package.json\n  - next.config.js\n"
FRONT = "---\n---\n"


@pytest.fixture
def site(tmp_path):
    """Jekyll and a Next.js export in one repository, in the old site's layout (our own small files)."""
    site = jekyll_site(tmp_path / "old", jekyll_config(title="旧局") + EXCLUDE)
    add_post(site, jekyll_post(1, day="05", show=SHOW), serial=1, day="05", mp3=f"{SHOW}_podcast_20260105.mp3")
    add_post(
        site,
        jekyll_post(2, day="06", show=SHOW),
        serial=2,
        day="06",
        folder="_posts.bak",
        mp3=f"{SHOW}_podcast_20260106.mp3",
    )
    files = {
        "index.html": FRONT + "<p>home</p>",
        "feed.xml": FRONT + '<rss><itunes:image href="{{ site.github.url }}/images/logo.png" /></rss>',
        "css/main.scss": FRONT + "@import 'part';",
        "css/_part.scss": "a { color: red }",
        "CNAME": "old.example.jp\n",
        "README.md": "# not served\n",
        "package.json": "{}",
        "next.config.js": "module.exports = { output: 'export', trailingSlash: true }",
        f"audio/{SHOW}_podcast_20260105.txt": "台本\n",
        ".gitignore": "node_modules\n",
        "public/welcome/index.html": "<h1>ようこそ</h1>",
        "public/slides/deck1/index.html": '<img src="images/p1.png"><link href="theme.css">',
        "public/slides/deck1/theme.css": "section { color: green }",
        "public/slides/deck2/index.html": "<p>deck2</p>",
        "public/.hidden": "no",
        "src/pages/_app.tsx": "export default function App() {}",
        "src/pages/api/chat.ts": "export default function handler() {}",
        "src/pages/programs/index.tsx": "export default function Home() {}",
        "src/pages/programs/[id]/index.tsx": "const dir = path.join(process.cwd(), 'public/slides');",
    }
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    binary = {
        "favicon.ico": b"\x00\x00\x01\x00icon",
        "public/images/logo.png": image_bytes(color=(9, 9, 9)),
        "public/slides/deck1/images/p1.png": image_bytes(color=(1, 1, 1)),
        "public/パステル.mp3": MP3.read_bytes(),
        "public/Samba Dancing.fbx": b"FBX stand-in",
    }
    for name, data in binary.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    return site


def run_import(site) -> str:
    out = io.StringIO()
    call_command("import_jekyll", str(site), stdout=out, stderr=io.StringIO())
    return out.getvalue()


EXPECTED = {
    # Jekyll: pages, the live post at its permalink, static files (no _posts.bak, no excluded, no _ or . names).
    "/": "page",
    "/index.html": "page",
    "/feed.xml": "page",
    "/css/main.css": "page",
    "/CNAME": "file",
    "/favicon.ico": "file",
    f"/audio/{SHOW}_podcast_20260105.mp3": "audio",
    f"/audio/{SHOW}_podcast_20260105.txt": "file",
    # The _posts.bak post's MP3 sat in audio/, so the old site served it, though not its page.
    f"/audio/{SHOW}_podcast_20260106.mp3": "audio",
    "/episode/1": "episode",
    "/episode/1.html": "episode",
    # Next.js: public/ at the root, the exported pages (trailing slashes, dynamic ids from public/slides).
    "/welcome/": "public",
    "/welcome/index.html": "public",
    "/slides/deck1/": "public",
    "/slides/deck1/index.html": "public",
    "/slides/deck1/theme.css": "public",
    "/slides/deck1/images/p1.png": "public",
    "/slides/deck2/": "public",
    "/slides/deck2/index.html": "public",
    "/images/logo.png": "public",
    "/パステル.mp3": "public",
    "/Samba Dancing.fbx": "public",
    "/programs/": "next",
    "/programs/deck1/": "next",
    "/programs/deck2/": "next",
}


def test_the_public_set_is_what_the_two_builds_published(site):
    assert {old.path: old.kind for old in public_set(site)} == EXPECTED


def test_every_old_path_answers_with_the_same_bytes_or_a_301_that_lands(site, client):
    run_import(site)
    for old in public_set(site):
        response = client.get(quote(old.path), follow=True)
        assert response.status_code == 200, old.path
        landed = response.redirect_chain[-1][0] if response.redirect_chain else quote(old.path)
        if old.source is not None and (landed == quote(old.path) or landed.startswith("/media/")):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert body == old.source.read_bytes(), old.path
    assert client.get("/slides/deck1/images/p1.png").status_code == 200  # the deck's relative links hold
    assert client.get("/favicon.ico").headers["Location"].endswith(".png")  # the new site's icon replaces it


def test_files_are_served_at_their_old_path_and_replaced_pages_redirect(site, client):
    run_import(site)
    deck = client.get("/slides/deck1/")
    assert deck.status_code == 200 and deck["Content-Type"].startswith("text/html")
    # Its inline scripts may run, but sandboxed: an opaque origin, none of this site's cookies or pages.
    assert deck["Content-Security-Policy"].startswith("sandbox allow-scripts allow-popups;")
    assert not client.get("/slides/deck1/theme.css")["Content-Security-Policy"].startswith("sandbox")
    assert client.get("/slides/deck1").headers["Location"] == "/slides/deck1/"
    assert client.get("/programs/deck1/").headers["Location"] == "/slides/deck1/"
    assert client.get("/programs/").headers["Location"] == "/shows/"
    assert client.get("/shows").headers["Location"] == "/shows/"  # APPEND_SLASH still reaches the new pages
    assert client.get("/README.md").status_code == 404
    assert client.get("/episode/2.html").status_code == 301  # _posts.bak, brought back online: a new address


def test_importing_again_stores_nothing_twice(site, settings):
    out = run_import(site)
    assert (
        "旧サイトのパス 25 件: 同じ内容で保存 13、新しいページへ転送 4、取り込んだエピソード・画像 3、ページが応答 5"
        in out
    )
    files = sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    run_import(site)
    assert sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == files


def test_a_changed_file_replaces_its_copy_at_the_same_address(site, client):
    run_import(site)
    (site / "public" / "slides" / "deck1" / "theme.css").write_text("section { color: blue }", encoding="utf-8")
    run_import(site)
    assert b"".join(client.get("/slides/deck1/theme.css").streaming_content) == b"section { color: blue }"


def test_the_report_checks_exactly_this_set(site):
    run_import(site)
    out = io.StringIO()
    try:
        call_command("cutover_report", str(site), "--offline", stdout=out)
    except SystemExit:
        pytest.fail(out.getvalue())
    assert f"旧サイトの URL: {len(EXPECTED)}/{len(EXPECTED)} 件が開けます" in out.getvalue()
