"""The player's template filters (episodes/templatetags/player.py)."""

import pytest

from episodes.templatetags.player import clock


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), ("", ""), (0, "0:00"), (65.166, "1:05"), (59.999, "0:59"), (600, "10:00"), (3723.5, "1:02:03")],
)
def test_clock_is_what_players_show(seconds, text):
    assert clock(seconds) == text
