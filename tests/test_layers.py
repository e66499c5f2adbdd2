"""The layers import one way: bot.index (notes -> index) never imports bot.answers, and the engine and
the index store never import each other. Parsed from the source with ast, so an import inside a
function or under TYPE_CHECKING counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, package: str) -> set[str]:
    """Every module a source imports anywhere in it (`from a import b` counts a and a.b); relative
    imports are resolved against `package`, the package the source's module is in."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """module -> every module it imports, for every module of the bot package."""
    out = {}
    for path in sorted(BOT.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        out[name] = imports_of(path.read_text(encoding="utf-8"), package)
    return out


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_scanner_sees_lazy_relative_and_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.answers.engine import Engine\n"
        "def f():\n    import bot.answers.service\n    from ..answers import types\n"
        "class C:\n    def g(self):\n        from . import bags\n"
    )
    found = imports_of(source, "bot.index")
    assert {"bot.answers.engine", "bot.answers.service", "bot.answers.types", "bot.index.bags"} <= found


def test_the_index_layer_never_imports_the_answers_layer() -> None:
    g = graph()
    assert "bot.index.store" in g and "bot.answers.engine" in g  # the walk found the package
    bad = {
        mod: sorted(i for i in imported if within(i, "bot.answers"))
        for mod, imported in g.items()
        if within(mod, "bot.index")
    }
    assert {mod: names for mod, names in bad.items() if names} == {}


def test_the_engine_and_the_index_store_do_not_import_each_other() -> None:
    g = graph()
    assert not any(within(i, "bot.index.store") for i in g["bot.answers.engine"])
    assert not any(within(i, "bot.answers") for i in g["bot.index.store"])
