"""Bots, apps and devices recognised by the vendored OPAWG list (episodes/analytics/agents.py)."""

import json

import pytest

from episodes.analytics.agents import DATA_DIR, FILES, Agent, classify


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        ("Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0", Agent(False, "Apple Podcasts", "Apple iPhone")),
        ("Spotify/8.8.0 Android/33 (SM-G991B)", Agent(False, "Spotify", "Android Phone")),
        ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", Agent(False, "Overcast", "Apple iPhone")),
        ("AntennaPod/3.2.0", Agent(False, "AntennaPod", "Android Phone")),
        ("PocketCasts/1.0 (Pocket Casts - Android)", Agent(False, "Pocket Casts", "Android Phone")),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Agent(True, "Googlebot")),
        ("python-requests/2.31", Agent(True, "python-requests")),
        ("okhttp/4.9.0", Agent(True, "okhttp")),
        ("", Agent(True)),
        ("SomeSpider/1.0", Agent(True)),
        ("Zundamon Player 1.0", Agent(False)),
    ],
)
def test_classify(user_agent, expected):
    assert classify(user_agent) == expected


def test_a_line_break_cannot_split_a_user_agent():
    assert classify("Overcast/3.0\nGooglebot") == classify("Overcast/3.0 Googlebot")


def test_every_vendored_file_is_the_runtime_shape_with_a_licence():
    for kind in FILES:
        entries = json.loads((DATA_DIR / f"{kind}.json").read_text())["entries"]
        assert entries
        assert all(set(entry) <= {"name", "pattern", "category"} for entry in entries)
    assert "MIT License" in (DATA_DIR / "LICENSE").read_text()
    assert "opawg/user-agents-v2" in (DATA_DIR / "SOURCE.md").read_text()
