"""axe-core on every kind of public page, on a phone and on a desktop (issue 16).

axe-core comes from npm into tests/e2e/node_modules (`make test-e2e` installs
it). It is injected as an init script through the DevTools protocol, which the
pages' CSP does not govern, so the pages are tested under their real policy.
Each run writes what axe found to `axe.json` in the screenshots folder.
"""

import json
import re
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
# WCAG 2.x A and AA, plus axe's best practices that the issue names (landmarks, skip link, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def public_pages(page, base: str) -> dict[str, str]:
    """The pages the issue lists, found from the demo site's own links."""
    page.goto(base + "/")
    show = page.locator("main a[href^='/shows/']").first.get_attribute("href")
    actor = page.locator("main a[href^='/actors/']").first.get_attribute("href")
    episodes = []
    for href in page.locator("main a[href^='/episode/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    ):
        if href not in episodes:
            episodes.append(href)
    page.goto(base + "/archive/")
    month = page.locator("main a[href^='/archive/2']").first.get_attribute("href")
    pages = {
        "home": "/",
        "show": show,
        "actor": actor,
        "episode": episodes[0],
        "episode-2": episodes[1],
        "search": "/search/?q=" + "ブラウザ",
        "search-none": "/search/?q=" + "見つからない言葉ずんだ",
        "archive": "/archive/",
        "month": month,
        "letters": "/letters/",
        "404": "/no-such-page/",
    }
    subscribe = show.rstrip("/") + "/subscribe/"
    if page.goto(base + subscribe).status == 200:  # the subscribe page (issue 16)
        pages["subscribe"] = subscribe
    if page.goto(base + episodes[1] + "/embed").status == 200:  # the embeddable player (issue 16)
        pages["embed"] = episodes[1] + "/embed"
    return pages


@pytest.fixture(scope="module")
def axe_tabs(browser, server, request):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed in {AXE.parent.parent} (make test-e2e installs it)")
    tabs = {}
    for name, viewport in WIDTHS.items():
        context = browser.new_context(
            locale="ja-JP", timezone_id="Asia/Tokyo", viewport=viewport, is_mobile=name == "phone"
        )
        context.add_init_script(path=str(AXE))
        tabs[name] = context.new_page()
    yield tabs
    for page in tabs.values():
        page.context.close()


def test_axe_finds_nothing_on_public_pages(server, axe_tabs, shots):
    pages = public_pages(axe_tabs["desktop"], server.url)
    found = {}
    lines = []
    for width, page in axe_tabs.items():
        for name, path in pages.items():
            page.goto(server.url + path)
            result = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                AXE_TAGS,
            )
            violations = result["violations"]
            found[f"{width} {name}"] = {
                v["id"]: {"impact": v["impact"], "nodes": len(v["nodes"]), "example": v["nodes"][0]["target"]}
                for v in violations
            }
            for violation in violations:
                target = violation["nodes"][0]["target"]
                lines.append(
                    f"{width} {path}: {violation['id']} ({violation['impact']}) on {len(violation['nodes'])} "
                    f"element(s), e.g. {target}: {violation['help']}"
                )
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                lines.append(f"{width} {path}: the page scrolls sideways by {overflow}px")
    (shots.folder / "axe.json").write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    total = sum(v["nodes"] for page in found.values() for v in page.values())
    print(f"axe: {total} failing element(s) over {len(found)} page views")
    assert not lines, "\n".join(lines)


def test_no_sideways_scroll_at_320px(server, browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 320, "height": 640}, is_mobile=True)
    page = context.new_page()
    try:
        wide = []
        for path in public_pages(page, server.url).values():
            page.goto(server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                wide.append(f"{path}: {overflow}px")
        assert not wide, "pages that scroll sideways at 320px: " + ", ".join(wide)
    finally:
        context.close()


def test_skip_link_is_the_first_tab_stop(server, browser):
    context = browser.new_context(locale="ja-JP", viewport=WIDTHS["desktop"])
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_have_text(re.compile("本文へ"))
        expect(focused).to_be_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#content"
    finally:
        context.close()
