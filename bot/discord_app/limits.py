"""Discord API limits (https://discord.com/developers/docs). discord.py checks only some of them."""

from __future__ import annotations

import re

CONTENT = 2000  # message content
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10

COMMANDS_PER_SCOPE = 100  # chat-input commands, global or per guild
OPTIONS = 25  # options per command
CHOICES = 25  # static choices per option, and autocomplete results
CHOICE_NAME = 100
CHOICE_VALUE = 100  # string choice values
NAME = re.compile(r"^[-_'\w]{1,32}$")  # \w is Unicode: \p{L}\p{N} plus '_' (no spaces)
DESCRIPTION_MIN = 1
DESCRIPTION_MAX = 100
COMMAND_PAYLOAD_TOTAL = 4000  # name + description + options' names/descriptions/choices, all locales

BUTTON_LABEL = 80
CUSTOM_ID = 100

# Interactions
ACK_SECONDS = 3.0  # respond or defer within this
FOLLOWUP_SECONDS = 15 * 60  # the token stays valid this long
