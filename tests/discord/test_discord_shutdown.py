"""Stopping `python -m bot run`: SIGTERM/SIGINT end the gateway session with close code 1000, plain or
sharded. Discord takes any other code (discord.py's own 4000 included) as "will resume" and keeps showing
the bot online for minutes.

Driven through the runner's real `_serve` (what `run` hands to asyncio.run) and discord.py's real gateway
client, against the fake gateway on 127.0.0.1, with real signals to this process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import discord_fake as fd
import pytest
from conftest import KNOWLEDGE, ROOT, make_config

from bot.config import parse_config
from bot.discord_app import client, runner

TOKEN = "fake-token-never-logged"


@pytest.fixture(autouse=True)
def prebuilt(monkeypatch: pytest.MonkeyPatch, service: Any) -> None:
    """setup_hook gets the session's service instead of building one (Kiwi start-up costs seconds), and
    shards identify without discord.py's 5-second pause between them."""
    from bot.answers.service import AnswerService

    async def no_pause(self: Any, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    monkeypatch.setattr(AnswerService, "from_config", classmethod(lambda cls, config: service))
    monkeypatch.setattr(client.ShardedQABot, "before_identify_hook", no_pause)


async def serve_until_signalled(
    fake: fd.FakeDiscord,
    config: Any,
    *signals: int,
    sessions: int = 1,
    before: Callable[[], object] = lambda: None,
) -> None:
    """Run the runner's `_serve` until `sessions` gateway sessions are READY, call `before`, send `signals`
    to this process, and wait for `_serve` to return (and to hand the signals back)."""
    serving = asyncio.create_task(runner._serve(config, TOKEN))
    await fake.wait_until(lambda: serving.done() or sum(c.ready for c in fake.gateway) >= sessions, 10)
    assert not serving.done(), serving.exception()
    before()
    for sig in signals:
        os.kill(os.getpid(), sig)
    await asyncio.wait_for(serving, 15)
    loop = asyncio.get_running_loop()
    assert [loop.remove_signal_handler(sig) for sig in (signal.SIGTERM, signal.SIGINT)] == [False, False]


@pytest.mark.parametrize(
    ("shards", "sig"),
    [
        ({}, signal.SIGTERM),
        ({}, signal.SIGINT),
        ({"shard_count": 2}, signal.SIGTERM),
        ({"shard_count": 3, "shard_ids": [0, 2]}, signal.SIGINT),
    ],
    ids=["plain-SIGTERM", "plain-SIGINT", "sharded-SIGTERM", "sharded-SIGINT"],
)
async def test_a_signal_closes_the_gateway_with_1000(fake, cache_dir, caplog, shards, sig):
    caplog.set_level(logging.DEBUG)
    config = make_config(cache_dir, **shards)
    expected = shards.get("shard_ids") or list(range(shards.get("shard_count", 1)))
    await serve_until_signalled(fake, config, sig, sessions=len(expected))
    assert [c.close_code for c in fake.gateway] == [1000] * len(expected)
    if shards:
        assert sorted(c.identify["shard"][0] for c in fake.gateway) == expected
    assert all(c.identify["token"] == TOKEN for c in fake.gateway)  # it did log in ...
    assert TOKEN not in caplog.text  # ... and never logged the token


async def test_a_second_signal_while_stopping_is_harmless(fake, cache_dir, caplog):
    caplog.set_level(logging.INFO)
    await serve_until_signalled(fake, make_config(cache_dir), signal.SIGINT, signal.SIGINT, signal.SIGTERM)
    assert [c.close_code for c in fake.gateway] == [1000]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text


async def test_the_watcher_and_a_running_reindex_stop_with_the_bot(fake, cache_dir, monkeypatch, service):
    data = {"knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(cache_dir)}, "reload": {"watch": True}}
    bots: list[Any] = []
    real_bot, real_rebuild = runner.create_bot, service.store.rebuild
    monkeypatch.setattr(runner, "create_bot", lambda config: bots.append(real_bot(config)) or bots[-1])

    def slow_rebuild(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # still running when the signal arrives
        return real_rebuild(*args, **kwargs)

    monkeypatch.setattr(service.store, "rebuild", slow_rebuild)
    reindexed: list[Future[Any]] = []
    before = lambda: reindexed.append(service.request_reindex())  # noqa: E731
    await serve_until_signalled(fake, parse_config(data, KNOWLEDGE.parent), signal.SIGTERM, before=before)
    (bot,) = bots
    assert bot.is_closed() and [c.close_code for c in fake.gateway] == [1000]
    assert bot.watcher.task is None and bot.watcher.stop_event.is_set()
    assert reindexed[0].done() and reindexed[0].result().ok  # finished before _serve returned ...
    assert not service.reindexing and service.store.wait_saved(0)  # ... and so did its index save


async def test_a_signal_during_a_cold_index_build_stops_at_once(fake, cache_dir, monkeypatch, service):
    from bot.answers.service import AnswerService

    building, release = threading.Event(), threading.Event()

    def slow_build(cls: Any, config: Any) -> Any:
        building.set()
        release.wait(30)  # an index built from scratch: minutes at 100k sections
        return service

    monkeypatch.setattr(AnswerService, "from_config", classmethod(slow_build))
    try:
        serving = asyncio.create_task(runner._serve(make_config(cache_dir), TOKEN))
        assert await asyncio.to_thread(building.wait, 10)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(serving, 5)
        # What asyncio.run does next: join the default executor's threads. The build is not one of them.
        await asyncio.wait_for(asyncio.get_running_loop().shutdown_default_executor(), 2)
        assert not fake.gateway and not release.is_set()
    finally:
        release.set()


CHILD = """
import os, runpy, sys, yarl, discord.gateway, discord.http
discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])
sys.argv = ["bot", *sys.argv[1:]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""  # `python -m bot ARGS`, pointed at the fake Discord


@pytest.mark.slow  # a process of its own: Kiwi loads again
async def test_python_m_bot_run_stops_on_sigterm_then_sigint(fake, cache_dir, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[knowledge]\ndir = "{KNOWLEDGE}"\ncache_dir = "{cache_dir}"\n', encoding="utf-8")
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "FAKE_DISCORD_API": fake.base}
    env["FAKE_DISCORD_GATEWAY"] = fake.gateway_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, "--config", str(config), "run",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_until(lambda: proc.returncode is not None or any(c.ready for c in fake.gateway), 60)
        proc.send_signal(signal.SIGTERM)
        # Impatient: a SIGINT while it stops. Sent once the SIGTERM is being handled: two signals pending
        # at once are handled in signal-number order (SIGINT first), whatever order they were sent in.
        seen = b""
        assert proc.stderr is not None
        while b"SIGTERM: disconnecting" not in seen:
            line = await asyncio.wait_for(proc.stderr.readline(), 30)
            assert line, seen.decode()
            seen += line
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    text = (seen + err).decode()
    assert proc.returncode == 0, text
    assert [c.close_code for c in fake.gateway] == [1000]
    assert "Traceback" not in text and TOKEN not in text + out.decode()
    assert "SIGTERM: disconnecting from Discord" in text
