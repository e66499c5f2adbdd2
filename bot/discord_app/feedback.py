"""👍/👎 on answers: one log line per vote (logger ``bot.discord.feedback``), in-memory counts, and a row
in the question log when one is attached (``sink``: bot/insight/log.py's QuestionLog)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

log = logging.getLogger("bot.discord.feedback")


class FeedbackLog:
    def __init__(self, sink: Any = None) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()  # (location, "up"|"down") -> votes
        self.sink = sink  # has record_vote(vote, question=, location=, origin=, message_id=)

    def record(
        self,
        vote: str,
        *,
        question: str,
        location: str,
        user_id: int,
        message_id: int | None,
        origin: Any = None,
    ) -> None:
        self.counts[(location, vote)] += 1
        if self.sink is not None:
            try:
                self.sink.record_vote(
                    vote, question=question, location=location, origin=origin, message_id=message_id
                )
            except Exception:  # a vote is always thanked, whatever the log does
                log.debug("question log: vote not recorded", exc_info=True)
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
