"""Discord front end: slash commands and chat answers over bot.answers.AnswerService (no retrieval here)."""

from bot.discord_app.client import create_bot

__all__ = ["create_bot"]
