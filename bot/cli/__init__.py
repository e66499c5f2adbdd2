"""The terminal front end: `python -m bot VERB`. Thin: it renders what bot.answers returns."""
