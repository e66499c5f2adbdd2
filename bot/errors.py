"""User-facing errors: each carries one clear line for a person, never a traceback."""


class BotError(Exception):
    """Base class; ``str(err)`` is the message shown to the user."""

    exit_code = 1


class ConfigError(BotError):
    """config.toml is unreadable or a key has a wrong name, type or value."""

    exit_code = 2


class KnowledgeError(BotError):
    """The knowledge folder is missing or holds no usable note."""


class QuestionError(BotError):
    """The question cannot be searched (empty, only particles/emoji, ...)."""

    exit_code = 2


class UnknownDistroError(BotError):
    """An install lookup named a distro the notes do not have."""

    exit_code = 2

    def __init__(self, asked: str, known: list[str]) -> None:
        self.asked = asked
        self.known = known
        listing = ", ".join(known) if known else "(none: the notes have no install section)"
        super().__init__(f"unknown distro {asked!r}; known: {listing}")
