"""Notes Markdown -> what Discord and a terminal show (bot/notes/display.py)."""

from __future__ import annotations

import re

from bot.notes.display import escape_markdown, file_url, links_only, resolve, to_display

BASE = "https://git.example/org/notes/blob/main"
RAW_HTML = re.compile(r"<(?:br|img|div|details|summary|span|p|a|table|script)\b|&nbsp;|&lt;|&gt;", re.I)

NOTE = """## 정리
첫 줄<br>둘째 줄<br/>셋째 &nbsp;줄 &amp; &lt;div&gt;
<img src="../images/arch.png" alt="구조도"> ![](./local.png) ![외부](https://cdn.example/a.png)
<div align="center"><b>가운데</b></div>
<details><summary>더 보기</summary>숨은 내용</details>
<!-- 메모
여러 줄 -->
[다른 노트](../net/tcp.md#handshake) [외부](https://example.com) [위로](#top) [참조 링크][ref]
각주가 있다[^1].
### 하위 제목
| 이름 | 설명 |
|---|---|
| 도커 | 컨테이너<br>도구 |
| k8s | 오케스트레이션 |

```html
<br> 코드 안의 br
```
`<img src=x>` 인라인 코드
<script>alert(1)</script>
[ref]: https://ref.example/page
[^1]: 각주 내용
"""


def _outside_code(text: str) -> str:
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`]*`", "", text)


def test_html_images_links_tables_footnotes_become_plain_markdown():
    out = to_display(NOTE, source_url=BASE, source="docker/intro.md")
    assert not RAW_HTML.search(_outside_code(out)), out
    assert "첫 줄\n둘째 줄\n셋째" in out and "& `<div>`" in out
    assert f"[🖼 구조도]({BASE}/images/arch.png)" in out
    assert f"[🖼 local.png]({BASE}/docker/local.png)" in out and "[🖼 외부](https://cdn.example/a.png)" in out
    assert "**가운데**" in out and "더 보기" in out and "숨은 내용" in out and "메모" not in out
    assert f"[다른 노트]({BASE}/net/tcp.md#handshake)" in out and f"[위로]({BASE}/docker/intro.md#top)" in out
    assert "[참조 링크](https://ref.example/page)" in out and "[ref]:" not in out
    assert "각주가 있다¹." in out and out.rstrip().endswith("¹ 각주 내용")
    assert "**하위 제목**" in out and "###" not in out
    assert "• **도커** — 설명: 컨테이너 / 도구" in out and "|---|" not in out
    assert "```html\n<br> 코드 안의 br\n```" in out and "`<img src=x>` 인라인 코드" in out  # code as written
    assert "alert" not in out


def test_without_source_url_relative_targets_become_text():
    out = to_display(NOTE)
    assert "구조도" in out and "🖼 구조도" not in out and "local.png" not in out
    assert "다른 노트" in out and "../net" not in out and "](#top)" not in out
    assert "[🖼 외부](https://cdn.example/a.png)" in out and "[외부](https://example.com)" in out


def test_bad_input():
    assert to_display("<div>열림\n<b>굵게") == "열림\n**굵게"  # unclosed tags
    assert to_display('앞 <img src="a.png"\n뒤') == "앞\n뒤"  # a tag never closed
    assert to_display("[클릭](javascript:alert(1))") == "클릭"
    assert to_display("![](../../x.png)", source_url=BASE, source="a.md") == ""  # above the root
    assert to_display("<!-- 닫히지 않은 주석\n내용") == ""
    wide = "|" + "|".join(f"h{i}" for i in range(500)) + "|\n|" + "---|" * 500 + "\n|" + "x|" * 500
    assert to_display(wide).startswith("• **x** — h1: x · h2: x")
    assert to_display("~~~\n<br>\n~~~") == "~~~\n<br>\n~~~"


def test_quoted_code_blocks_and_references_defined_elsewhere():
    quoted = '- 예\n  > 설명\n  > ```vue\n  > <div id="a">\n  > ```\n  > 끝'
    assert to_display(quoted) == '- 예\n  > 설명\n```vue\n<div id="a">\n```\n  > 끝'
    assert to_display("[글][어딘가] 와 [대괄호]") == "글 와 [대괄호]"
    assert (
        to_display("[공백 있는](<a b.md>)", source_url=BASE, source="x.md") == f"[공백 있는]({BASE}/a%20b.md)"
    )


def test_escape_markdown_keeps_names():
    name = "gyoogle__tech-interview-for-developer/Computer Science/*star*.md"
    escaped = escape_markdown(name)
    assert escaped.replace("\\", "") == name and "\\_\\_" in escaped and "\\*star\\*" in escaped
    assert escape_markdown("# 제목") == "\\# 제목"


def test_urls():
    encoded = "%ED%8F%B4%EB%8D%94/%EB%85%B8%ED%8A%B8%201.md"
    assert file_url(BASE + "/", "폴더/노트 1.md", 12) == f"{BASE}/{encoded}#L12"
    assert file_url("", "a.md", 3) == ""
    assert resolve("/img/a.png", BASE, "x/y.md") == f"{BASE}/img/a.png"
    assert resolve("mailto:a@b.c", "", "") == "mailto:a@b.c"
    assert resolve("data:image/png;base64,xx", BASE, "a.md") == ""


def test_a_list_of_links_is_told_from_a_section_that_has_links() -> None:
    hub = (
        "### Redis\n\n✅ [Redis 특징](docs/a.md)\n\n✅ [설치하기](docs/b.md)\n\n#### 더\n\n- <https://x.io>\n"
    )
    assert links_only(hub)
    assert links_only("## 목차\n\n1. [하나](a.md)\n2. [둘](b.md)\n* https://example.com/c\n")
    assert not links_only("## Redis\n\nRedis는 인메모리 저장소다. [문서](a.md)\n")
    assert not links_only("## 목록\n\n- [하나](a.md)\n- 설명이 붙은 줄 [둘](b.md)\n")
    assert not links_only("## 빈 절\n")  # no link at all: a heading waiting for text, not a hub
    # a README's layout markup between the links is no text (gyoogle's README ends lists with <br>)
    assert links_only("## 📌 패턴\n\n- [어댑터](a.md)\n- [싱글톤](b.md)\n\n<br>\n<div align=center></div>\n")
    assert not links_only("## 목록\n\n- [하나](a.md)\n<b>설명이 붙은 줄</b>\n<br>\n")


def test_an_empty_list_item_is_not_shown_as_a_stray_dash() -> None:
    # The seed note's 단점 list ends with "- ": an embed showed a lone "-" under the answer.
    assert to_display("1. 하나\n2. 둘\n- \n") == "1. 하나\n2. 둘"
    assert to_display("- a\n-\n- b\n\n```\n-\n```\n") == "- a\n- b\n\n```\n-\n```"  # code kept as it is
