"""One extension per feature; loaded by the bot's setup_hook."""
