"""👍/👎 on answers: one log line per vote (logger ``bot.discord.feedback``) and in-memory counts."""

from __future__ import annotations

import json
import logging
from collections import Counter

log = logging.getLogger("bot.discord.feedback")


class FeedbackLog:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()  # (location, "up"|"down") -> votes

    def record(
        self, vote: str, *, question: str, location: str, user_id: int, message_id: int | None
    ) -> None:
        self.counts[(location, vote)] += 1
        log.info(
            "feedback %s",
            json.dumps(
                {
                    "vote": vote,
                    "location": location,
                    "question": question[:500],
                    "user": user_id,
                    "message": message_id,
                },
                ensure_ascii=False,
            ),
        )
