"""What every listener does to a message before asking: mention syntax out, whitespace collapsed."""

from __future__ import annotations

import re

_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")


def clean_question(text: str) -> str:
    """Message text without user/role/channel mentions, @everyone/@here and extra whitespace."""
    return " ".join(_MENTION.sub(" ", text or "").split())
