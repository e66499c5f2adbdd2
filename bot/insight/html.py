"""The report as one self-contained HTML page: a Plotly chart of questions and answer rate per day, and
the report's tables. plotly.js is inlined (include_plotlyjs=True, ~4.5 MB), so the page opens offline.

Plotly: a well-kept charting library whose Python package ships plotly.js itself, so nothing is fetched
at run time. The chart holds only days and numbers; every text from the log (questions, section titles)
goes into the tables through html.escape: questions are whatever users typed.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.errors import BotError
from bot.insight.report import per_day_rows, percent, section_rows


def chart_html(report: dict[str, Any]) -> str:
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError:
        raise BotError("report --html needs plotly: pip install 'bot[report]'") from None
    days = [d["day"] for d in report["per_day"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(name="answered", x=days, y=[d["answered"] for d in report["per_day"]]))
    fig.add_trace(go.Bar(name="declined", x=days, y=[d["declined"] for d in report["per_day"]]))
    rate = [None if d["answer_rate"] is None else round(100 * d["answer_rate"], 1) for d in report["per_day"]]
    fig.add_trace(go.Scatter(name="answer rate %", x=days, y=rate, mode="lines+markers"), secondary_y=True)
    fig.update_layout(
        barmode="stack",
        title="Questions and answer rate per day (UTC)",
        legend={"orientation": "h"},
        margin={"l": 40, "r": 40, "t": 60, "b": 40},
        height=420,
    )
    fig.update_yaxes(title_text="questions", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="answer rate %", secondary_y=True, range=[0, 100])
    return fig.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})


def _table(title: str, head: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return f"<h2>{escape(title)}</h2><p class=none>none</p>"
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<h2>{escape(title)}</h2><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def page(report: dict[str, Any]) -> str:
    r = report
    rate = percent(r["answer_rate"])
    summary = (
        f"{r['questions']} questions · {r['answered']} answered · {r['declined']} declined · "
        f"answer rate {rate} · 👍 {r['votes']['up']} · 👎 {r['votes']['down']}"
    )
    parts = [
        _table(
            "Unanswered questions (declined, near-duplicates grouped)",
            ["count", "question", "also asked as"],
            [[u["count"], u["question"], " · ".join(u.get("variants", []))] for u in r["unanswered"]],
        ),
        _table(
            "👎 answers by section",
            ["count", "section", "title"],
            section_rows(r["downvoted"]),
        ),
        _table(
            "Most-asked sections",
            ["count", "section", "title"],
            section_rows(r["top_sections"]),
        ),
        _table("Notes never hit", ["note"], [[n] for n in r["never_hit"]]),
        _table(
            "Per day (UTC)",
            ["day", "questions", "answered", "declined", "answer rate", "👍", "👎"],
            per_day_rows(r),
        ),
    ]
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>노트봇 report · {escape(r["since"][:10])} – {escape(r["until"][:10])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }}
td:first-child {{ text-align: right; width: 4rem; }} .none {{ color: #888; }}
</style></head><body>
<h1>What the notes fail to answer</h1>
<p>{escape(r["since"])} – {escape(r["until"])} ({r["days"]} days)<br>{escape(summary)}</p>
{chart_html(r)}
{"".join(parts)}
</body></html>
"""
