"""One logging setup for the CLI and the bot: text or JSON lines on stderr, never a secret."""

from __future__ import annotations

import json
import logging
import os
import time

from bot.config import Config


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class _RedactToken(logging.Filter):
    """Belt and braces: the token is never logged on purpose, and is masked if it ever is."""

    def filter(self, record: logging.LogRecord) -> bool:
        token = os.environ.get("DISCORD_TOKEN")
        if token and len(token) > 8:
            msg = record.getMessage()
            if token in msg:
                record.msg, record.args = msg.replace(token, "[DISCORD_TOKEN]"), None
        return True


def setup_logging(config: Config, verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else getattr(logging, config.logging.level)
    handler = logging.StreamHandler()
    if config.logging.format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RedactToken())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The CLI's own output is the answer; keep library chatter down unless asked.
    if not verbose:
        logging.getLogger("discord").setLevel(max(level, logging.WARNING))
    # markdown-it-py (the parser for absurdly nested notes) logs DEBUG per block: it would flood -v.
    logging.getLogger("markdown_it").setLevel(max(level, logging.INFO))
