"""Registering the slash commands with Discord, on demand only (Discord rate-limits frequent syncs).

``check_payload`` applies the limits discord.py does not check (descriptions ≤ 100, ≤ 25 choices, the
4000-character total per command) before anything is sent.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import limits


async def command_payload(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None = None
) -> list[dict]:
    """The JSON that ``tree.sync(guild=...)`` sends, localizations included."""
    cmds = tree._get_all_commands(guild=guild)  # what CommandTree.sync uses
    if tree.translator:
        return [await c.get_translated_payload(tree, tree.translator) for c in cmds]
    return [c.to_dict(tree) for c in cmds]


def _check_name(where: str, name: Any, problems: list[str]) -> None:
    if not isinstance(name, str) or not limits.NAME.match(name) or name != name.lower():
        problems.append(f"{where}: bad name {name!r} (1-32 lowercase letters, digits, - _ ')")


def _check_description(where: str, text: Any, problems: list[str]) -> None:
    if not isinstance(text, str) or not limits.DESCRIPTION_MIN <= len(text) <= limits.DESCRIPTION_MAX:
        problems.append(f"{where}: description must be 1-100 characters: {text!r}")


def _check_named(where: str, obj: dict, problems: list[str], *, description: bool = True) -> None:
    _check_name(where, obj.get("name"), problems)
    for locale, name in (obj.get("name_localizations") or {}).items():
        _check_name(f"{where} [{locale}]", name, problems)
    if description:
        _check_description(where, obj.get("description"), problems)
        for locale, text in (obj.get("description_localizations") or {}).items():
            _check_description(f"{where} [{locale}]", text, problems)


def _strings(obj: dict, locale: str | None) -> int:
    """Characters Discord counts toward the per-command total (name, description, choice values)."""
    n = 0
    for key in ("name", "description"):
        loc = (obj.get(f"{key}_localizations") or {}).get(locale) if locale else None
        n += len(loc or obj.get(key) or "")
    if "value" in obj:
        n += len(str(obj["value"]))
    for child in (*obj.get("options", ()), *obj.get("choices", ())):
        n += _strings(child, locale)
    return n


def _locales(obj: dict) -> set[str]:
    found = set(obj.get("name_localizations") or {}) | set(obj.get("description_localizations") or {})
    for child in (*obj.get("options", ()), *obj.get("choices", ())):
        found |= _locales(child)
    return found


def _check_options(where: str, options: list[dict], problems: list[str]) -> None:
    if len(options) > limits.OPTIONS:
        problems.append(f"{where}: {len(options)} options > {limits.OPTIONS}")
    for opt in options:
        at = f"{where} {opt.get('name')}"
        _check_named(at, opt, problems)
        choices = opt.get("choices") or []
        if len(choices) > limits.CHOICES:
            problems.append(f"{at}: {len(choices)} choices > {limits.CHOICES}")
        for ch in choices:
            if not 1 <= len(ch.get("name", "")) <= limits.CHOICE_NAME:
                problems.append(f"{at}: choice name must be 1-100 characters: {ch.get('name')!r}")
            if isinstance(ch.get("value"), str) and len(ch["value"]) > limits.CHOICE_VALUE:
                problems.append(f"{at}: choice value longer than 100: {ch['value']!r}")
        if choices and opt.get("autocomplete"):
            problems.append(f"{at}: choices and autocomplete are exclusive")
        _check_options(at, opt.get("options") or [], problems)


def check_payload(payload: list[dict]) -> list[str]:
    """Every Discord limit the registration payload breaks (empty when it is valid)."""
    problems: list[str] = []
    chat = [c for c in payload if c.get("type", 1) == 1]
    if len(chat) > limits.COMMANDS_PER_SCOPE:
        problems.append(f"{len(chat)} slash commands > {limits.COMMANDS_PER_SCOPE}")
    names = [c.get("name") for c in payload]
    if len(set(names)) != len(names):
        problems.append(f"duplicate command names: {names}")
    for cmd in payload:
        where = f"/{cmd.get('name')}"
        _check_named(where, cmd, problems, description=cmd.get("type", 1) == 1)
        _check_options(where, cmd.get("options") or [], problems)
        for locale in (None, *sorted(_locales(cmd))):
            total = _strings(cmd, locale)
            if total > limits.COMMAND_PAYLOAD_TOTAL:
                problems.append(f"{where} [{locale or 'default'}]: {total} characters > 4000")
    return problems


async def sync_commands(bot: commands.Bot, *, guild_id: int | None = None) -> list[app_commands.AppCommand]:
    """Check, then register the commands globally or (copied there) in one guild. Raises ValueError with
    the problems when the payload breaks a Discord limit."""
    guild = discord.Object(id=guild_id) if guild_id else None
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    problems = check_payload(await command_payload(bot.tree, guild))
    if problems:
        raise ValueError("command payload breaks Discord limits: " + "; ".join(problems))
    return await bot.tree.sync(guild=guild)
