"""Fixtures for the Discord front end: a fake Discord API on 127.0.0.1, bots logged in against it, and the
real AnswerService over /work/main/knowledge (built once per session: Kiwi start-up costs seconds)."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the repo is not pip-installed in the venv; `pytest` alone must work
    sys.path.insert(0, str(ROOT))

from discord_fake import FakeDiscord, Req  # noqa: E402

from bot.config import Config, parse_config  # noqa: E402
from bot.discord_app import create_bot, render  # noqa: E402

KNOWLEDGE = ROOT / "knowledge"

BotFactory = Callable[..., Awaitable[commands.Bot]]


def make_config(cache_dir: Path, **discord_cfg: Any) -> Config:
    data = {"knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(cache_dir)}, "discord": discord_cfg}
    return parse_config(data, KNOWLEDGE.parent)


_LOCAL = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Name resolution only for the loopback: a request to anything else fails instead of leaving."""
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in _LOCAL:
            raise OSError(f"tests must not reach the network (tried {name!r})")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index-cache")


@pytest.fixture(scope="session")
def service(cache_dir: Path) -> Any:
    from bot.answers.service import AnswerService

    return AnswerService.from_config(make_config(cache_dir))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The fake API and gateway; every request discord.py makes (HTTP client, webhook adapter, gateway
    websocket) lands here."""
    server = FakeDiscord()
    base = await server.start()
    old, old_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    try:
        yield server
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old, old_gateway
        await server.stop()


@pytest.fixture
async def make_bot(fake: FakeDiscord, service: Any, cache_dir: Path) -> AsyncIterator[BotFactory]:
    """Build a bot with config [discord] overrides, log it in against the fake (runs setup_hook)."""
    bots: list[commands.Bot] = []

    async def factory(
        *, engine: Any = service, commands_only: bool = False, **discord_cfg: Any
    ) -> commands.Bot:
        discord_cfg.setdefault("cooldown_rate", 100)
        discord_cfg.setdefault("cooldown_seconds", 1.0)
        bot = create_bot(make_config(cache_dir, **discord_cfg), engine, commands_only=commands_only)
        bots.append(bot)
        await bot.login("fake-token")
        return bot

    yield factory
    await fake.settle(0.05)
    for b in bots:
        await b.close()
    assert_discord_rules(fake.requests)


@pytest.fixture
async def bot(make_bot: BotFactory) -> commands.Bot:
    return await make_bot()


# -- checks applied to everything the bot sent, in every test --
def outgoing_messages(requests: list[Req]) -> list[tuple[Req, dict]]:
    """(request, message body) for every request that posts or edits a message."""
    out = []
    for r in requests:
        if not isinstance(r.body, dict):
            continue
        if r.path.endswith("/callback"):
            if r.body.get("type") in (4, 7):
                out.append((r, r.body.get("data") or {}))
        elif r.method in ("POST", "PATCH") and (
            r.path.startswith("/webhooks/") or (r.path.startswith("/channels/") and "/messages" in r.path)
        ):  # not PATCH /channels/{id}: a thread's tags
            out.append((r, r.body))
    return out


def assert_discord_rules(requests: list[Req]) -> None:
    for r, msg in outgoing_messages(requests):
        where = f"{r.method} {r.path}"
        am = msg.get("allowed_mentions")
        assert am is not None, f"{where}: no allowed_mentions"
        assert am.get("parse") == [] and not am.get("users") and not am.get("roles"), (where, am)
        assert not am.get("replied_user"), (where, am)
        content = msg.get("content") or ""
        assert len(content) <= 2000, (where, len(content))
        assert content.count("```") % 2 == 0, (where, content)
        embeds = [discord.Embed.from_dict(e) for e in msg.get("embeds") or []]
        assert render.check_embeds(embeds) == [], (where, render.check_embeds(embeds))
        for c in msg.get("components") or []:
            for item in c.get("components", []):
                assert len(item.get("custom_id", "")) <= 100 and len(item.get("label") or "") <= 80


def dump(requests: list[Req]) -> str:  # for assertion messages
    return "\n".join(f"{r.method} {r.path} {json.dumps(r.body, ensure_ascii=False)[:300]}" for r in requests)
