"""Entry points: bot.load_config/create_bot, what setup_hook sets up, sharding, `run`/`sync` runners."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import discord
import discord_fake as fd
import pytest
from conftest import make_config
from discord.ext import commands

import bot as bot_pkg
from bot.discord_app import runner
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_import_bot_does_not_import_discord():
    code = (
        "import sys, bot\n"
        "assert 'discord' not in sys.modules, 'import bot pulled in discord'\n"
        "assert callable(bot.load_config)\n"
        "from bot import create_bot\n"
        "assert 'discord' in sys.modules and callable(create_bot)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_create_bot_is_unstarted_and_offline(cache_dir, service):
    config = bot_pkg.load_config(None)
    b = bot_pkg.create_bot(config, service)
    assert isinstance(b, commands.Bot) and not isinstance(b, commands.AutoShardedBot)
    assert not b.is_ready() and b.user is None and b.application_id is None
    assert b.ws is None  # no gateway, and no HTTP session until login
    assert b.allowed_mentions is not None and b.allowed_mentions.to_dict() == {"parse": []}
    assert not b.intents.message_content and b.intents.guild_messages
    assert b.tree.get_commands() == []  # set up in setup_hook, not before


def test_sharding_from_config(cache_dir):
    b = bot_pkg.create_bot(make_config(cache_dir, shard_count=4, shard_ids=[1, 3]))
    assert isinstance(b, commands.AutoShardedBot) and b.shard_count == 4 and b.shard_ids == [1, 3]
    b = bot_pkg.create_bot(make_config(cache_dir, shard_count=2))
    assert isinstance(b, commands.AutoShardedBot) and b.shard_ids is None
    for bad in (
        {"shard_ids": [0]},
        {"shard_count": 2, "shard_ids": [2]},
        {"shard_count": 2, "shard_ids": [0, 0]},
    ):
        with pytest.raises(ConfigError):
            bot_pkg.create_bot(make_config(cache_dir, **bad))


async def test_login_runs_setup_hook(make_bot, fake):
    b = await make_bot()
    assert b.user.id == fd.BOT_ID and b.application_id == fd.APP_ID
    assert {c.name for c in b.tree.get_commands()} == {"ask", "install", "reindex", "stats", "help"}
    assert set(b.cogs) == {"Ask", "Install", "Reindex", "Stats", "Help", "Chat", "Forum"}
    assert [r.path for r in fake.requests] == ["/users/@me", "/oauth2/applications/@me"]  # and no sync


async def test_service_is_built_lazily_in_a_worker_thread(make_bot, fake, monkeypatch, service):
    from bot.answers.service import AnswerService

    threads = []

    def from_config(config):
        threads.append(threading.current_thread())
        return service

    monkeypatch.setattr(AnswerService, "from_config", classmethod(lambda cls, c: from_config(c)))
    b = await make_bot(engine=None)
    assert b.service is service and threads and threads[0] is not threading.main_thread()


async def test_sharded_bot_answers_too(make_bot, fake):
    await make_bot(shard_count=2, shard_ids=[1], sync="global")  # not shard 0: leaves the sync to it
    assert not [r for r in fake.requests if r.method == "PUT"]
    b = await make_bot(shard_count=2)
    assert isinstance(b, commands.AutoShardedBot)
    p = fd.slash("ask", {"question": "도커 장점"})
    fake.deliver(b, "INTERACTION_CREATE", p)
    await fake.wait_for(lambda r: r in fake.for_interaction(p), 2)


def test_run_without_token_exits_2_naming_it(monkeypatch, capsys):
    for value in (None, "", "   "):
        if value is None:
            monkeypatch.delenv("DISCORD_TOKEN", raising=False)
        else:
            monkeypatch.setenv("DISCORD_TOKEN", value)
        assert runner.run(bot_pkg.load_config(None)) == 2
        assert runner.sync(bot_pkg.load_config(None), None) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 2 and all("DISCORD_TOKEN" in line for line in err)


def test_python_m_bot_run_without_token():
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0]


async def test_run_with_a_rejected_token_never_shows_it(fake, monkeypatch, capsys, cache_dir):
    monkeypatch.setenv("DISCORD_TOKEN", fd.REJECTED_TOKEN)
    code = await asyncio.to_thread(runner.run, make_config(cache_dir))
    assert code == 1
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err and fd.REJECTED_TOKEN not in err


async def test_sync_cli_global_and_guild_without_building_the_index(fake, monkeypatch, capsys, cache_dir):
    from bot.answers.service import AnswerService

    def no_index(cls, config):
        raise AssertionError("sync must not build the index")

    monkeypatch.setattr(AnswerService, "from_config", classmethod(no_index))
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    assert await asyncio.to_thread(runner.sync, make_config(cache_dir), None) == 0
    assert await asyncio.to_thread(runner.sync, make_config(cache_dir), fd.GUILD_ID) == 0
    puts = [r.path for r in fake.requests if r.method == "PUT"]
    assert puts == [
        f"/applications/{fd.APP_ID}/commands",
        f"/applications/{fd.APP_ID}/guilds/{fd.GUILD_ID}/commands",
    ]
    out = capsys.readouterr().out
    assert "synced 5 commands globally" in out and f"synced 5 commands to guild {fd.GUILD_ID}" in out
    # config sync = "guild" is the default target of `sync` without --guild
    cfg = make_config(cache_dir, sync="guild", sync_guild_id=123)
    assert await asyncio.to_thread(runner.sync, cfg, None) == 0
    assert fake.requests[-1].path == f"/applications/{fd.APP_ID}/guilds/123/commands"
    assert all(r.auth == "Bot fake-token" for r in fake.requests)


def test_default_intents_do_not_need_privileges(cache_dir):
    b = bot_pkg.create_bot(make_config(cache_dir))
    assert b.intents.value & discord.Intents(message_content=True, members=True, presences=True).value == 0


async def test_the_knowledge_watcher_runs_with_the_bot_when_configured(fake, service, cache_dir):
    from conftest import KNOWLEDGE

    from bot.config import parse_config

    data = {"knowledge": {"dir": str(KNOWLEDGE), "cache_dir": str(cache_dir)}, "reload": {"watch": True}}
    b = bot_pkg.create_bot(parse_config(data, KNOWLEDGE.parent), service)
    await b.login("fake-token")
    task = b.watcher.task
    assert task is not None and not task.done()
    await b.close()
    assert task.done() and b.watcher.task is None

    off = bot_pkg.create_bot(make_config(cache_dir), service)  # reload.watch defaults to false
    await off.login("fake-token")
    assert off.watcher.task is None
    await off.close()
