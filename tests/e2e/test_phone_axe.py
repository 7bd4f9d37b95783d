"""axe-core where issue 25 asks for it beyond tests/e2e/test_accessibility.py: public pages in dark mode,
an episode with the transcript open and the mini-player docked (light and dark), and every admin
page an editor uses (dashboard, list, add form, letters, downloads). Skipped without axe-core.
"""

import re

import pytest

from .test_accessibility import AXE, AXE_TAGS, public_pages
from .test_phone_player import playable_cards

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

ADMIN_PAGES = {
    "dashboard": "/admin/",
    "list": "/admin/catalogue/episode/",
    "add form": "/admin/catalogue/episode/add/",
    "letters": "/admin/letters/letter/",
    "downloads": "/admin/analytics/dailydownloads/",
}


def violations(page) -> list[str]:
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}) on {len(v['nodes'])} element(s), e.g. {v['nodes'][0]['target']}: {v['help']}"
        for v in result["violations"]
    ]


def tab(browser, **options):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed in {AXE.parent.parent} (make test-e2e installs it)")
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **options)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    return context, context.new_page()


def test_public_pages_in_dark_mode(server, browser):
    context, page = tab(browser, viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="dark")
    found = []
    for name, path in public_pages(page, server.url).items():
        page.goto(server.url + path)
        found += [f"dark {name} {path}: {line}" for line in violations(page)]
    context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_transcript_open_and_mini_player_docked(server, browser, scheme, shots):
    context, page = tab(browser, viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme=scheme)
    page.goto(server.url + "/")
    episode = playable_cards(page)[0]["url"]
    page.goto(server.url + episode)
    summary = page.locator(".transcript summary")
    if summary.count():
        summary.click()
    found = [f"{scheme} episode, transcript open: {line}" for line in violations(page)]
    page.locator(".player audio").evaluate("audio => audio.play()")
    page.wait_for_function("() => !document.querySelector('.player audio').paused")
    page.locator("header nav a", has_text="アーカイブ").click()
    expect(page.locator(".mini-player")).to_be_visible()
    found += [f"{scheme} archive, mini-player: {line}" for line in violations(page)]
    shots.take(page, f"axe-mini-player-{scheme}", f"axe: ミニプレーヤー表示中のアーカイブ（{scheme}）", full_page=False)
    context.close()
    assert not found, "\n".join(found)


def test_admin_pages_an_editor_uses(server, browser):
    context, page = tab(browser, viewport={"width": 1366, "height": 900})
    page.goto(server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.locator("input[type=submit]").click()
    expect(page.locator("#user-tools")).to_contain_text(re.compile(re.escape(server.username), re.IGNORECASE))
    found = []
    for name, path in ADMIN_PAGES.items():
        page.goto(server.url + path)
        found += [f"{name} {path}: {line}" for line in violations(page)]
    context.close()
    assert not found, "\n".join(found)
