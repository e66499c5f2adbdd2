"""Notes Markdown -> Markdown that Discord and a terminal can show. One place for both front ends.

Notes are written for GitHub/VuePress: HTML (`<br>`, `<img>`, `<details>`), entities, tables, relative
links and images, reference links and footnotes. Discord renders none of these (and a terminal's Markdown
renderer only some), so this module rewrites them into plain CommonMark that both show the same way:

- fenced code blocks and inline code spans are kept exactly as written (a `<br>` in code stays);
- `<br>` -> a line break; `<img>` / `![alt](src)` -> "[🖼 alt](url)" when the source is absolute or resolves
  against ``source_url``, else the alt text; `<a href>` -> a link; other tags dropped, their text kept
  (`<script>`/`<style>` and HTML comments dropped whole); entities decoded (an escaped tag, `&lt;div&gt;`,
  is shown as inline code so it can never pass for HTML);
- tables -> one line per row, "• **first cell** — header: cell · header: cell" (see ``_table``: Discord has
  no tables, and a monospace grid wraps into noise on a phone and cannot hold links);
- relative links -> absolute when resolvable, else their text; reference definitions and footnotes resolved;
- headings inside the text -> bold lines (Discord renders # only in some places, never inside embeds' fields).

No Discord import here: escaping for Discord's own Markdown dialect is ``escape_markdown`` (pure text).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterator, Mapping
from urllib.parse import quote, urlsplit

IMAGE = "🖼"
# A fence line (its indent, its ``` or ~~~ run, its info string): what is code here is code for the
# Discord renderer (discord_app/render.py) and for passages (answers/passage.py) too.
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_QUOTED_FENCE = re.compile(r"^(\s*(?:>[ \t]?)+)(?:`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_REF_DEF = re.compile(
    r"^ {0,3}\[(?!\^)([^\]]{1,999})\]:[ \t]*<?([^\s>]*)>?(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t]*$"
)
_FOOT_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]{1,100})\]:[ \t]*(.*)$")
_TABLE_DELIM = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CODE_SPAN = re.compile(
    r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.DOTALL
)  # within a paragraph
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_RAW_TEXT = re.compile(r"<(script|style|template)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]+|mailto:[^\s<>]+)>", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?\s*>|</br\s*>", re.IGNORECASE)
_IMG_TAG = re.compile(r"<img\b([^<>]*)/?>", re.IGNORECASE)
_A_TAG = re.compile(r"<a\b([^<>]*)>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""([a-zA-Z_:][-\w:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)\b[^<>]*/?>")
_OPEN_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*\b[^<>\n]*$", re.MULTILINE)  # a tag never closed
_BLOCK_TAGS = frozenset(
    "p div section article header footer main nav aside table thead tbody tfoot tr ul ol dl dt dd "  # noqa: SIM905
    "details summary blockquote pre figure figcaption center h1 h2 h3 h4 h5 h6 hr".split()
)
_STYLE_TAGS = {
    "b": "**",
    "strong": "**",
    "i": "*",
    "em": "*",
    "code": "`",
    "kbd": "`",
    "s": "~~",
    "del": "~~",
}
# ![alt](src "title") and [text](href "title"); link text may hold one level of brackets; a destination
# is <anything but angle brackets> or has no spaces (one level of parentheses).
_DEST = r"\(\s*(?:<([^<>\n]*)>|([^\s()<>]*(?:\([^\s()]*\))?[^\s()<>]*))(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
_MD_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.)*)\]" + _DEST)
_MD_LINK = re.compile(r"(?<!!)\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]" + _DEST)
_REF_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.)*)\]\[([^\]]*)\]")
_REF_LINK = re.compile(r"(?<![!\]\\])\[((?:[^\[\]\\]|\\.)+)\](?:\[([^\]]*)\])?(?![(:\[])")
_FOOT_REF = re.compile(r"\[\^([^\]\s]{1,100})\]")
_ENTITY_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_HOLE = "\x00{}\x00"
_HOLES = re.compile("\x00(\\d+)\x00")
_SAFE_SCHEMES = ("http", "https", "ftp", "mailto")
_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>\[\]()#-])")


_BARE_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
# A list item with nothing in it ("- " closing a list in a note): shown, it is a stray dash.
_BULLET = r"(?:[-*+]|\d{1,3}[.)])"  # a list item's marker
_EMPTY_ITEM = re.compile(rf"^[ \t]*{_BULLET}[ \t]*(?:\n|$)", re.MULTILINE)
_LIST_MARK = re.compile(rf"^\s*{_BULLET}\s+")


def links_only(markdown: str) -> bool:
    """The section is a list of links (a README's table of contents, an index page): every line that
    has words, headings aside, has nothing but links, bullets, emoji and HTML tags — and there is a link."""
    links = 0
    for line in markdown.splitlines():
        if not line.strip() or _HEADING.match(line) or _HR.match(line):
            continue
        rest, n = _MD_LINK.subn(" ", _LIST_MARK.sub("", line, count=1))
        rest, m = _A_TAG.subn(" ", rest)
        rest, k = _BARE_URL.subn(" ", _AUTOLINK.sub(" ", rest))
        links += n + m + k
        # Markup between the links ("<br>", "<div align=center>") is layout, not words.
        if "<" in rest:
            rest = _ENTITY_TAG.sub(" ", rest)
        if re.search(r"\w", rest):
            return False
    return links > 0


def escape_markdown(text: str) -> str:
    """``text`` shown literally by Discord's Markdown (names, titles): marks escaped, never removed.

    ``gyoogle__tech-interview`` stays as written instead of turning into underlined text. Only
    characters that can start or end a mark are escaped (``-`` and ``#`` only at the start of a line).
    """
    out = re.sub(r"([\\*_~`|\[\]])", r"\\\1", text)
    return re.sub(r"^(\s*)([>#-])", r"\1\\\2", out, flags=re.MULTILINE)


def file_url(source_url: str, source: str, line: int = 0) -> str:
    """The note's address under ``source_url`` (a blob URL prefix), at ``line`` when given; '' without."""
    if not source_url:
        return ""
    url = source_url.rstrip("/") + "/" + quote(source.lstrip("/"))
    return f"{url}#L{line}" if line > 0 else url


def resolve(href: str, source_url: str = "", source: str = "") -> str:
    """An absolute address for a link or image written in note ``source``; '' when it cannot be had.

    Absolute http(s)/ftp/mailto addresses are kept; a relative one is resolved against the note's folder
    under ``source_url`` (``/x`` against its root); one climbing above the root, another scheme
    (``javascript:``, ``data:``) or no ``source_url`` gives ''.
    """
    href = href.strip()
    if not href:
        return ""
    parts = urlsplit(href)
    if parts.scheme:
        return href if parts.scheme.lower() in _SAFE_SCHEMES and (parts.netloc or parts.path) else ""
    if href.startswith("//") or not source_url:
        return ""
    if not parts.path:  # "#anchor": the same note
        return file_url(source_url, source) + "#" + quote(parts.fragment) if parts.fragment else ""
    if parts.path.startswith("/"):
        path = posixpath.normpath(parts.path.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), parts.path))
    if path == ".." or path.startswith("../"):
        return ""
    url = source_url.rstrip("/") + "/" + quote(path, safe="/%")
    if parts.query:
        url += "?" + parts.query
    if parts.fragment:
        url += "#" + quote(parts.fragment, safe="%")
    return url


def _segments(markdown: str) -> Iterator[tuple[bool, str]]:
    """(is_code, text) runs: fenced code blocks (fence lines included, closed or not) and the rest."""
    buf: list[str] = []
    fence = ""
    quote = ""  # the "> " prefix of a fenced block inside a block quote, taken off its lines
    for line in markdown.split("\n"):
        if not fence and (q := _QUOTED_FENCE.match(line)):
            opener = FENCE.match(line[len(q[1]) :])
            if opener and not (opener["fence"][0] == "`" and "`" in opener["info"]):
                quote, line = q[1], line[len(q[1]) :]
        elif fence and quote:
            if line.startswith(quote.rstrip()):
                line = line[len(quote) :] if line.startswith(quote) else line[len(quote.rstrip()) :]
            else:  # the quote ended, and so did its block
                quote = ""
        m = FENCE.match(line)
        if not fence and m and not (m["fence"][0] == "`" and "`" in m["info"]):
            if buf:
                yield False, "\n".join(buf)
            buf, fence = [line], m["fence"]
        elif (
            fence
            and m
            and not m["info"].strip()
            and m["fence"][0] == fence[0]
            and len(m["fence"]) >= len(fence)
        ):
            buf.append(line)
            yield True, "\n".join(buf)
            buf, fence, quote = [], "", ""
        else:
            buf.append(line)
    if buf:
        yield bool(fence), "\n".join(buf)


class _Context:
    def __init__(self, source_url: str, source: str) -> None:
        self.source_url = source_url
        self.source = source
        self.refs: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self.used_notes: list[str] = []

    def url(self, href: str) -> str:
        return resolve(html.unescape(href), self.source_url, self.source)


def _attrs(raw: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v.strip("'\"")) for k, v in _ATTR.findall(raw)}


def _image(alt: str, src: str, ctx: _Context) -> str:
    alt = " ".join(html.unescape(alt).split()).replace("[", "(").replace("]", ")")
    url = ctx.url(src)
    if not url:
        return alt
    label = alt or posixpath.basename(urlsplit(url).path) or "image"
    return f"[{IMAGE} {label}]({url})"


def _link(text: str, href: str, ctx: _Context) -> str:
    url = ctx.url(href)
    text = text.strip()
    if not url or not text:
        return text
    if "](" in text:  # an image inside a link: Discord has no nested links, keep the outer one
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return f"[{text}]({url})"


def _collect_definitions(text: str, ctx: _Context) -> str:
    """Link reference definitions and footnote definitions taken out of ``text`` into ``ctx``."""
    out: list[str] = []
    for line in text.split("\n"):
        if m := _REF_DEF.match(line):
            ctx.refs.setdefault(" ".join(m[1].split()).casefold(), m[2])
        elif m := _FOOT_DEF.match(line):
            ctx.notes.setdefault(m[1], m[2].strip())
        else:
            out.append(line)
    return "\n".join(out)


def _split_row(line: str) -> list[str]:
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells = re.split(r"(?<!\\)\|", row)
    return [c.strip().replace("\\|", "|") for c in cells]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Rows as bullet lines: '• **first** — header: cell · header: cell'.

    Chosen over a monospace grid: Discord wraps code blocks on phones (a grid of Hangul, two columns wide
    per character, breaks at ~35 characters), and a grid cannot show links or bold. One line per row
    reads as a list and keeps each value next to its column's name.
    """
    out: list[str] = []
    for cells in rows:
        cells = [_BR.sub(" / ", c) for c in cells]
        if not any(cells):
            continue
        first, rest = cells[0], cells[1:]
        parts = []
        for i, cell in enumerate(rest, 1):
            if not cell:
                continue
            name = header[i] if i < len(header) else ""
            parts.append(f"{name}: {cell}" if name and _BR.sub("", name).strip() else cell)
        lead = f"**{first}**" if first else ""
        line = " — ".join(p for p in (lead, " · ".join(parts)) if p)
        out.append(f"• {line}")
    return out


def _blocks(text: str) -> str:
    """Line-level rewrites of a non-code run: tables, headings, setext headings, rules."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if "|" in line and "|" in nxt and _TABLE_DELIM.match(nxt):
            header = _split_row(line)
            rows: list[list[str]] = []
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(_split_row(lines[i]))
                i += 1
            if header and any(header) and not rows:
                rows = [header]  # a header-only table: its cells are the content
                header = []
            out += _table(header, rows)
            continue
        if (h := _HEADING.match(line)) and not line.startswith("    "):
            title = (h[2] or "").strip()
            out.append(f"**{_unbold(title)}**" if title else "")
        elif _SETEXT.match(nxt) and line.strip() and not _list_or_quote(line) and not _HR.match(line):
            out.append(f"**{_unbold(line.strip())}**")  # a setext heading: the line over === or ---
            i += 2
            continue
        elif _HR.match(line):
            out.append("")
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


def _list_or_quote(line: str) -> bool:
    return bool(re.match(r"^\s*(?:[-*+>]|\d{1,9}[.)])(?:\s|$)", line))


def _unbold(title: str) -> str:
    """A heading's text inside ** **: its own ** marks would close ours."""
    return title.replace("**", "").replace("__", "").strip() or title


def _inline(text: str, ctx: _Context) -> str:
    """Inline rewrites of a non-code run; code spans are set aside first and put back untouched."""
    holes: list[str] = []

    def hole(s: str) -> str:
        holes.append(s)
        return _HOLE.format(len(holes) - 1)

    text = _CODE_SPAN.sub(lambda m: hole(m[0]), text)
    text = _COMMENT.sub("", text)
    text = _RAW_TEXT.sub("", text)
    text = _AUTOLINK.sub(lambda m: hole(m[0]), text)
    text = _BR.sub("\n", text)
    text = _IMG_TAG.sub(
        lambda m: hole(_image(_attrs(m[1]).get("alt", ""), _attrs(m[1]).get("src", ""), ctx)), text
    )
    text = _MD_IMAGE.sub(lambda m: hole(_image(m[1], m[2] or m[3] or "", ctx)), text)
    text = _REF_IMAGE.sub(
        lambda m: hole(_image(m[1], ctx.refs.get(" ".join((m[2] or m[1]).split()).casefold(), ""), ctx)), text
    )
    text = _A_TAG.sub(lambda m: hole(_link(_TAG.sub("", m[2]), _attrs(m[1]).get("href", ""), ctx)), text)
    text = _MD_LINK.sub(lambda m: hole(_link(_fill(m[1], holes), m[2] or m[3] or "", ctx)), text)
    text = _FOOT_REF.sub(lambda m: hole(_footnote(m[1], ctx)), text)
    text = _REF_LINK.sub(lambda m: _ref_link(m, ctx, hole), text)
    text = _TAG.sub(lambda m: _tag(m[0], m[1]), text)
    text = _OPEN_TAG.sub("", text)
    text = _decode(text, hole)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return _fill(text, holes)


def _fill(text: str, holes: list[str]) -> str:
    while _HOLES.search(text):
        text = _HOLES.sub(lambda m: holes[int(m[1])], text)
    return text


def _mark(label: str) -> str:
    return label.translate(_SUPERSCRIPT) if label.isdigit() else f"[{label}]"


def _footnote(label: str, ctx: _Context) -> str:
    if label in ctx.notes and label not in ctx.used_notes:
        ctx.used_notes.append(label)
    return _mark(label)


def _ref_link(m: re.Match[str], ctx: _Context, hole) -> str:
    label = " ".join((m[2] or m[1]).split()).casefold()
    href = ctx.refs.get(label)
    if href is None:  # defined elsewhere in the note, or not at all: [text][ref] shows its text
        return m[1] if m[2] is not None else m[0]
    return hole(_link(m[1], href, ctx))


def _tag(raw: str, name: str) -> str:
    name = name.lower()
    closing = raw.startswith("</")
    if name in _STYLE_TAGS:
        return _STYLE_TAGS[name]
    if name == "li":
        return "" if closing else "\n• "
    if name in ("td", "th"):
        return " " if closing else ""
    if name in _BLOCK_TAGS:
        return "\n"
    return ""


def _decode(text: str, hole) -> str:
    """HTML entities decoded; a tag spelled with entities becomes inline code, never HTML."""
    if "&" not in text:
        return text
    decoded = html.unescape(text).replace("\xa0", " ")
    return _ENTITY_TAG.sub(lambda m: hole("`" + m[0].replace("`", "'") + "`"), decoded)


def to_display(
    markdown: str, *, source_url: str = "", source: str = "", notes: Mapping[str, str] | None = None
) -> str:
    """``markdown`` (a section or a passage of note ``source``) as Markdown Discord and rich can show.

    ``source_url`` resolves relative links and images; ``notes`` adds footnote definitions from
    elsewhere in the note (a footnote's text is usually at the note's end, outside the section).
    """
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    ctx = _Context(source_url, source)
    if notes:
        ctx.notes.update(notes)
    parts = list(_segments(markdown))
    parts = [(code, text if code else _collect_definitions(text, ctx)) for code, text in parts]
    out = [text if code else _EMPTY_ITEM.sub("", _inline(_blocks(text), ctx)) for code, text in parts]
    result = "\n".join(out).strip("\n")
    if ctx.used_notes:
        lines = [f"{_mark(label)} {_inline(ctx.notes[label], ctx)}" for label in ctx.used_notes]
        result += "\n\n" + "\n".join(lines)
    return result
