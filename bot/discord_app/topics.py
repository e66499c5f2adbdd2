"""What a thread is about, for follow-ups that lean on it ("그럼 단점은?"): in memory, bounded, timed out.

A thread's topic is its forum post's title or the last question the bot answered there. Only thread ids
and question texts are kept (no user ids), at most ``size`` threads, each for ``ttl`` seconds.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class ThreadTopics:
    def __init__(self, ttl: float = 6 * 3600, size: int = 5000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._topics: OrderedDict[int, tuple[float, str]] = OrderedDict()

    def set(self, thread_id: int, topic: str) -> None:
        topic = topic.strip()
        if not topic:
            return
        self._topics[thread_id] = (self._clock(), topic)
        self._topics.move_to_end(thread_id)
        while len(self._topics) > self.size:
            self._topics.popitem(last=False)  # the least recently set

    def get(self, thread_id: int) -> str:
        """The thread's topic, '' when unknown or timed out."""
        found = self._topics.get(thread_id)
        if found is None:
            return ""
        at, topic = found
        if self._clock() - at > self.ttl:
            del self._topics[thread_id]
            return ""
        return topic

    def __len__(self) -> int:
        return len(self._topics)
