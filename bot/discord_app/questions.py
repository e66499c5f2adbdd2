"""What every listener does to a message before asking: mention syntax out, whitespace collapsed."""

from __future__ import annotations

from bot.answers.engine import without_mentions


def clean_question(text: str) -> str:
    """Message text without user/role/channel mentions, @everyone/@here and extra whitespace."""
    return " ".join(without_mentions(text or "").split())
