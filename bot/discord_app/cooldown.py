"""Per-user question cooldown shared by slash commands, buttons and chat (config [discord] cooldown_*)."""

from __future__ import annotations

import time

from discord import app_commands

_PRUNE_AT = 10_000  # users tracked before idle buckets are dropped


class UserCooldowns:
    """``rate`` questions per ``per`` seconds per user (a token bucket per user id)."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._buckets: dict[int, app_commands.Cooldown] = {}
        self._warned_until: dict[int, float] = {}

    def hit(self, user_id: int) -> float | None:
        """Spend one question; the seconds to wait when none is left, else None."""
        now = time.time()
        if len(self._buckets) >= _PRUNE_AT:
            self._prune(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = app_commands.Cooldown(self.rate, self.per)
        return bucket.update_rate_limit(now)

    def cooldown(self, user_id: int) -> app_commands.Cooldown:
        return self._buckets.get(user_id) or app_commands.Cooldown(self.rate, self.per)

    def should_warn(self, user_id: int, retry_after: float) -> bool:
        """True once per cooldown window, so chat users are told once and not spammed."""
        now = time.time()
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        self._warned_until[user_id] = now + retry_after
        return True

    def _prune(self, now: float) -> None:
        idle = [uid for uid, b in self._buckets.items() if b.get_tokens(now) >= self.rate]
        for uid in idle:
            del self._buckets[uid]
        self._warned_until = {u: w for u, w in self._warned_until.items() if w > now}
