"""Who asked: a bot, or which app on which device, by the OPAWG podcast user-agents list.

The data is vendored in `user_agents/` (source and licence in its SOURCE.md)
and read once per process. Matching is the list's own deterministic rule:
bots, apps, libraries, browsers in that order, the first entry wins.
"""

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings

DATA_DIR = Path(__file__).resolve().parent / "user_agents"
# Matching order from the list's README; devices are a second, optional lookup.
KINDS = ("bots", "apps", "libraries", "browsers")
FILES = (*KINDS, "devices")
# Beyond the list: clients that say what they are, and requests that say nothing.
KNOWN_BOT = re.compile(r"bot\b|crawl|spider|slurp|preview|monitor|uptime|headless|^curl/|^wget/", re.IGNORECASE)
UNKNOWN = "不明"


@dataclass(frozen=True)
class Agent:
    """What a user agent is: a bot (never counted), or an app on a device."""

    is_bot: bool
    app: str = UNKNOWN
    device: str = UNKNOWN


def data_dir() -> Path:
    """Where the list is read from and updated: ANALYTICS_USER_AGENTS_DIR, or the copy in the code."""
    return Path(settings.ANALYTICS_USER_AGENTS_DIR) if settings.ANALYTICS_USER_AGENTS_DIR else DATA_DIR


@cache
def _patterns() -> dict[str, list[tuple[re.Pattern, str, str]]]:
    table = {}
    for kind in FILES:
        path = data_dir() / f"{kind}.json"
        if not path.is_file():  # a folder not yet updated: the shipped copy
            path = DATA_DIR / f"{kind}.json"
        entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
        table[kind] = [(re.compile(e["pattern"]), e["name"], e.get("category", "")) for e in entries]
    return table


def _first(kind: str, user_agent: str) -> tuple[str, str] | None:
    for pattern, name, category in _patterns()[kind]:
        if pattern.search(user_agent):
            return name, category
    return None


@lru_cache(maxsize=4096)
def classify(user_agent: str) -> Agent:
    """The agent behind a User-Agent header (the same answer for the same text, always)."""
    user_agent = user_agent.replace("\r", " ").replace("\n", " ").strip()
    if not user_agent:
        return Agent(is_bot=True)
    for kind in KINDS:
        found = _first(kind, user_agent)
        if found is None:
            continue
        name, category = found
        if kind == "bots" or category == "bot":
            return Agent(is_bot=True, app=name)
        device = _first("devices", user_agent)
        return Agent(is_bot=False, app=name, device=device[0] if device else UNKNOWN)
    if KNOWN_BOT.search(user_agent):
        return Agent(is_bot=True)
    device = _first("devices", user_agent)
    return Agent(is_bot=False, device=device[0] if device else UNKNOWN)


def reload() -> None:
    """Forget the loaded list (after `update_user_agents` replaced the files)."""
    _patterns.cache_clear()
    classify.cache_clear()
