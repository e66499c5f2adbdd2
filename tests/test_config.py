"""config.toml -> Config (bot/config.py): defaults, and one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, load_config, parse_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert "\n" not in message and message.startswith("config:"), message
    return message


# -- defaults ------------------------------------------------------------------------------------------
def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config("config.toml")  # the CLI's default path, absent here: all defaults
    assert cfg.search.top == 3 and cfg.search.max_question_chars == 500 and cfg.search.min_confidence == 0.30
    assert cfg.knowledge.dir == "knowledge" and cfg.discord.sync == "off" and cfg.logging.level == "INFO"
    assert cfg.knowledge_dir == (tmp_path / "knowledge").resolve()
    assert cfg.cache_dir == (tmp_path / ".cache" / "index").resolve()
    assert load_config(None).search == cfg.search


def test_the_shipped_config_shows_the_defaults() -> None:
    shipped = load_config(ROOT / "config.toml")
    defaults = parse_config({}, ROOT)
    assert shipped == defaults
    assert shipped.knowledge_dir == ROOT / "knowledge"


def test_an_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    cfg = load_config(write(tmp_path / "sub", '[knowledge]\ndir = "../notes"\ncache_dir = "cache"\n'))
    assert cfg.knowledge_dir == (tmp_path / "notes").resolve()
    assert cfg.cache_dir == (tmp_path / "sub" / "cache").resolve()


def test_with_knowledge_overrides_only_the_folder(tmp_path: Path) -> None:
    cfg = parse_config({"search": {"top": 5}}, tmp_path)
    other = cfg.with_knowledge(tmp_path / "x" / ".." / "other")
    assert other.knowledge_dir == (tmp_path / "other").resolve()
    assert other.search.top == 5 and other.cache_dir == cfg.cache_dir
    assert cfg.knowledge_dir == (tmp_path / "knowledge").resolve()  # frozen: the original is unchanged


def test_values_are_read(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            "\ufeff[search]\ntop = 5\nmax_question_chars = 2000\nmin_confidence = 0\n"
            "[discord]\ncooldown_seconds = 30\nmaintainer_role_ids = [1, 2]\n"
            "sync = 'guild'\nsync_guild_id = 9\n"
            "[logging]\nformat = 'json'\n",
        )
    )
    assert (cfg.search.top, cfg.search.max_question_chars, cfg.search.min_confidence) == (5, 2000, 0.0)
    assert cfg.discord.cooldown_seconds == 30.0 and cfg.discord.maintainer_role_ids == [1, 2]
    assert cfg.logging.format == "json"
    with pytest.raises((TypeError, ValueError)):
        cfg.search.top = 1  # type: ignore[misc]


# -- errors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[serach]\ntop = 3\n", "serach"),
        ("[search]\ntopp = 3\n", "search.topp"),
        ("[knowledge]\ndirectory = 'x'\n", "knowledge.directory"),
        ("base_dir = '/'\n", "base_dir"),
        ("token = 'abc'\n", "token"),
    ],
)
def test_unknown_keys(tmp_path: Path, text: str, key: str) -> None:
    message = error_of(tmp_path, text)
    assert f"'{key}'" in message and "unknown" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[search]\ntop = '3'\n", "search.top"),
        ("[search]\ntop = 3.0\n", "search.top"),
        ("[search]\ntop = true\n", "search.top"),
        ("[search]\nmin_confidence = 'high'\n", "search.min_confidence"),
        ("search = 3\n", "search"),
        ("[knowledge]\ndir = 5\n", "knowledge.dir"),
        ("[reload]\nwatch = 'yes'\n", "reload.watch"),
        ("[discord]\nmaintainer_role_ids = [1, 'x']\n", "discord.maintainer_role_ids"),
        ("[discord]\nanswer_channel_ids = 5\n", "discord.answer_channel_ids"),
        ("[logging]\nlevel = 'TRACE'\n", "logging.level"),
        ("[discord]\nsync = 'sometimes'\n", "discord.sync"),
    ],
)
def test_wrong_types(tmp_path: Path, text: str, key: str) -> None:
    assert f"'{key}" in error_of(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[search]\ntop = 0\n", "search.top"),
        ("[search]\ntop = 11\n", "search.top"),
        ("[search]\nmax_question_chars = 19\n", "search.max_question_chars"),
        ("[search]\nmax_question_chars = 100001\n", "search.max_question_chars"),
        ("[search]\nmin_confidence = -0.1\n", "search.min_confidence"),
        ("[search]\nmin_confidence = 1.5\n", "search.min_confidence"),
        ("[search]\nmin_confidence = nan\n", "search.min_confidence"),
        ("[discord]\ncooldown_seconds = 0\n", "discord.cooldown_seconds"),
        ("[discord]\ncooldown_seconds = inf\n", "discord.cooldown_seconds"),
        ("[discord]\ncooldown_rate = 0\n", "discord.cooldown_rate"),
        ("[discord]\nsync_guild_id = -1\n", "discord.sync_guild_id"),
        ("[reload]\ndebounce_seconds = 0.01\n", "reload.debounce_seconds"),
        ("[knowledge]\ndir = ''\n", "knowledge.dir"),
        ("[knowledge]\ncache_dir = ''\n", "knowledge.cache_dir"),
        ("[knowledge]\ngit_branch = '--upload-pack=x'\n", "knowledge.git_branch"),
        ("[knowledge]\ngit_branch = 'a b'\n", "knowledge.git_branch"),
        ("[knowledge]\ngit_timeout_seconds = 0\n", "knowledge.git_timeout_seconds"),
        ("[reload]\npull_minutes = -1\n", "reload.pull_minutes"),
        ("[insight]\nretention_days = 0\n", "insight.retention_days"),
        ("[knowledge]\nsource_url = 'git@host:notes.git'\n", "knowledge.source_url"),
        ("[knowledge]\nsource_url = 'https://host/a b'\n", "knowledge.source_url"),
    ],
)
def test_out_of_range_values(tmp_path: Path, text: str, key: str) -> None:
    assert f"'{key}'" in error_of(tmp_path, text)


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[search\ntop = = 3\n")
    assert "not valid TOML" in message


def test_undecodable_file_is_one_line(tmp_path: Path) -> None:
    p = tmp_path / "config.toml"
    p.write_bytes(b"[search]\ntop = \xff\xfe\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "\n" not in str(err.value) and str(p) in str(err.value)


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


def test_config_model_is_strict_about_extra_keys() -> None:
    with pytest.raises(ConfigError):
        parse_config({"search": {"top": 3, "extra": 1}})
    assert isinstance(parse_config({}), Config)


def test_a_knowledge_folder_without_a_dictionary_borrows_the_configured_one(tmp_path: Path) -> None:
    from bot.config import load_config

    cfg = load_config(ROOT / "config.toml")
    bare = tmp_path / "notes"
    bare.mkdir()
    assert cfg.with_knowledge(bare).dictionary_dir == cfg.dictionary_dir
    (bare / "_dictionary").mkdir()
    assert cfg.with_knowledge(bare).dictionary_dir == bare / "_dictionary"


def test_git_remote_and_insight_paths(tmp_path: Path) -> None:
    from bot.config import parse_config

    def remote(value: str) -> str:
        return parse_config({"knowledge": {"git_remote": value}}, tmp_path).git_remote

    assert remote("../notes.git") == str((tmp_path / "../notes.git").resolve())  # a path: beside config.toml
    for url in (
        "https://git.example/notes.git",
        "git@github.com:org/notes.git",
        "host:notes.git",
        "/srv/n.git",
    ):
        assert remote(url) == url
    cfg = parse_config({"reload": {"pull_minutes": 5}, "insight": {"path": "q.sqlite3"}}, tmp_path)
    assert cfg.reload.pull_minutes == 5 and cfg.insight_path == (tmp_path / "q.sqlite3").resolve()
    assert parse_config({}, tmp_path).insight_path == (tmp_path / ".cache/index/questions.sqlite3").resolve()


def test_source_url(tmp_path: Path) -> None:
    url = "https://github.com/org/notes/blob/main"
    cfg = load_config(write(tmp_path, f"[knowledge]\nsource_url = '{url}'\n"))
    assert cfg.knowledge.source_url == url and parse_config({}).knowledge.source_url == ""
