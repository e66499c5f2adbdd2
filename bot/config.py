"""config.toml -> a validated, frozen Config. Unknown keys, wrong types and bad values are one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class KnowledgeConfig(_Section):
    # An empty path would mean config.toml's own folder: the whole project indexed, caches beside it.
    dir: Annotated[str, Field(min_length=1)] = "knowledge"  # notes folder, relative to config.toml's folder
    cache_dir: Annotated[str, Field(min_length=1)] = ".cache/index"  # persisted indexes, one per folder
    # "": <dir>/_dictionary; a --knowledge folder without one borrows the configured folder's dictionary
    dictionary_dir: str = ""
    # Where the notes can be read on the web, e.g. "https://github.com/org/notes/blob/main": answers link
    # to the note at the section's line, and relative links and images in notes resolve against it.
    source_url: Annotated[str, Field(pattern=r"^(https?://\S+)?$")] = ""


class SearchConfig(_Section):
    top: Annotated[int, Field(ge=1, le=10)] = 3  # results per answer (best + related)
    max_question_chars: Annotated[int, Field(ge=20, le=100_000)] = 500  # longer questions are cut
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.30  # below this a question is declined


class DiscordConfig(_Section):
    cooldown_rate: Annotated[int, Field(ge=1, le=100)] = 3  # questions per user ...
    cooldown_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0  # ... per this many seconds
    maintainer_role_ids: list[int] = []  # roles allowed to /reindex besides administrators
    answer_channel_ids: list[int] = []  # channels where every message is a question (needs message_content)
    message_content_intent: bool = False  # privileged intent; only needed for answer_channel_ids
    sync: Literal["off", "guild", "global"] = "off"  # sync the command tree on start-up
    sync_guild_id: Annotated[int, Field(ge=0)] = 0  # guild for sync = "guild"
    shard_count: Annotated[int, Field(ge=0, le=10_000)] = 0  # 0 = let Discord decide
    shard_ids: list[int] = []  # shards this process runs; empty = all


class ReloadConfig(_Section):
    watch: bool = False  # rebuild when files in the knowledge folder change
    debounce_seconds: Annotated[float, Field(ge=0.1, le=600)] = 2.0


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"  # json: one object per line


class Config(_Section):
    knowledge: KnowledgeConfig = KnowledgeConfig()
    search: SearchConfig = SearchConfig()
    discord: DiscordConfig = DiscordConfig()
    reload: ReloadConfig = ReloadConfig()
    logging: LoggingConfig = LoggingConfig()
    base_dir: str = "."  # set by load_config: the folder relative paths are resolved against

    @property
    def knowledge_dir(self) -> Path:
        return (Path(self.base_dir) / self.knowledge.dir).resolve()

    @property
    def cache_dir(self) -> Path:
        return (Path(self.base_dir) / self.knowledge.cache_dir).resolve()

    @property
    def dictionary_dir(self) -> Path:
        if self.knowledge.dictionary_dir:
            return (Path(self.base_dir) / self.knowledge.dictionary_dir).resolve()
        return self.knowledge_dir / "_dictionary"

    def with_knowledge(self, folder: str | Path) -> Config:
        """The same config pointed at another notes folder (the CLI's --knowledge).

        A folder with no _dictionary/ of its own keeps using the configured one: a folder of notes
        copied from elsewhere still gets the project's user words and aliases.
        """
        new = Path(folder).resolve()
        update = {"dir": str(new)}
        if not (new / "_dictionary").is_dir() and self.dictionary_dir.is_dir():
            update["dictionary_dir"] = str(self.dictionary_dir)
        return self.model_copy(update={"knowledge": self.knowledge.model_copy(update=update)})


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        return f"unknown key {key!r}"
    return f"key {key!r}: {first['msg']}"


def parse_config(data: dict, base_dir: str | Path = ".") -> Config:
    if "base_dir" in data:
        raise ConfigError("config: unknown key 'base_dir'")
    try:
        return Config.model_validate({**data, "base_dir": str(Path(base_dir).resolve())})
    except ValidationError as err:
        raise ConfigError(f"config: {_describe(err)}") from None


def load_config(path: str | Path | None = "config.toml") -> Config:
    """Read and validate config.toml. A missing default file means all defaults."""
    if path is None:
        return parse_config({})
    p = Path(path)
    if not p.exists():
        if str(path) == "config.toml":
            return parse_config({}, ".")
        raise ConfigError(f"config: file not found: {p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config: cannot read {p}: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config: {p} is not valid TOML: {err}") from None
    return parse_config(data, p.parent)
