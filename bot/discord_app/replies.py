"""Sending to interactions the same way everywhere: no mentions ever, ephemeral errors, one error path."""

from __future__ import annotations

import logging
import math
from typing import Any

import discord
from discord import app_commands

from bot.discord_app.i18n import t
from bot.errors import BotError, UnknownDistroError

log = logging.getLogger("bot.discord")

NO_MENTIONS = discord.AllowedMentions.none()
_PUBLIC_DEFER = "qa_public_defer"  # key in Interaction.extras: deferred publicly, nothing sent yet


class NotMaintainer(app_commands.CheckFailure):
    """The user is neither an administrator nor holds a maintainer role."""


class ServiceNotReady(app_commands.AppCommandError):
    """The answer engine is not loaded (start-up failed or still running)."""


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge now ("thinking…"); the answer follows with :func:`send`."""
    if interaction.response.is_done():
        return
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras[_PUBLIC_DEFER] = not ephemeral


async def send(interaction: discord.Interaction, *, ephemeral: bool = False, **kwargs: Any) -> None:
    """Respond, or follow up when already acknowledged; always with mentions disabled.

    Discord makes the first follow-up after a public defer replace the "thinking…" message and ignores
    ``ephemeral`` there; so for an ephemeral reply the public placeholder is deleted first.
    """
    kwargs["allowed_mentions"] = NO_MENTIONS
    if not interaction.response.is_done():
        await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        return
    if interaction.extras.pop(_PUBLIC_DEFER, False) and ephemeral:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the deferred response of interaction %s", interaction.id)
    await interaction.followup.send(ephemeral=ephemeral, **kwargs)


def describe_error(error: BaseException, locale: str | None) -> tuple[str, bool]:
    """(message for the user, whether it is expected). Unexpected errors are logged by the caller."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, app_commands.CommandOnCooldown):
        return t("cooldown", locale, seconds=math.ceil(error.retry_after)), True
    if isinstance(error, NotMaintainer | app_commands.MissingPermissions):
        return t("maintainers_only", locale), True
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("guild_only", locale), True
    if isinstance(error, ServiceNotReady):
        return t("not_ready", locale), True
    if isinstance(error, UnknownDistroError):
        known = ", ".join(error.known) or t("no_distros", locale)
        return t("unknown_distro", locale, asked=error.asked[:100], known=known), True
    if isinstance(error, BotError):  # QuestionError and friends: the engine's own one-line message
        return str(error), True
    if isinstance(error, app_commands.CheckFailure):
        return t("maintainers_only", locale), True
    return t("error", locale), False


ALREADY_ACKNOWLEDGED = 40060  # Discord's code for a second callback to one interaction


def _already_answered(error: BaseException) -> bool:
    """The interaction was delivered twice and the first delivery answered it: nothing went wrong."""
    while error is not None:
        if isinstance(error, discord.HTTPException) and error.code == ALREADY_ACKNOWLEDGED:
            return True
        error = getattr(error, "original", None) or error.__cause__  # type: ignore[assignment]
    return False


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user something useful, ephemerally; log what was not expected (with the traceback)."""
    if _already_answered(error):
        log.info("interaction %s was already answered (delivered twice)", interaction.id)
        return
    message, expected = describe_error(error, str(interaction.locale))
    if not expected:
        command = interaction.command.qualified_name if interaction.command else interaction.data
        log.error("error in interaction %s (%s)", interaction.id, command, exc_info=error)
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete can only answer with choices; nothing to tell the user
    try:
        await send(interaction, content=message, ephemeral=True)
    except discord.HTTPException as err:  # the interaction may have expired; nothing else to do
        log.warning("could not report an error to interaction %s: %s", interaction.id, err)
