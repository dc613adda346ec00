"""The report as one self-contained HTML page: inline CSS and SVG, no script, no external URL.

Every value from the data is passed through `html.escape`: account ids, email domains, user
agents and device ids are chosen by whoever signs up, and a reviewer opens this page.
"""

from __future__ import annotations

import re
from collections import Counter
from html import escape

from sybil.report import graph_svg, timeline_svg
from sybil.report.data import Cluster, ReportData

MAX_TABLE_ROWS = 500
_TAG = re.compile(r"^\[([a-z]+)\]\s*(.*)$", re.DOTALL)

CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px 32px;
       color: #1d2733; background: #fff; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 6px 0; } h2 { font-size: 18px; margin: 28px 0 8px 0; }
.sub { color: #566; margin-bottom: 14px; }
.badge { display: inline-block; padding: 2px 9px; border-radius: 10px; font-size: 12px;
         font-weight: bold; margin-right: 6px; color: #fff; background: #7f8c8d; }
.tier-flagged { background: #c0392b; } .tier-review { background: #d68910; }
.fam { display: inline-block; padding: 1px 7px; border-radius: 4px; font-size: 12px;
       color: #fff; margin-right: 4px; }
.fam-identity { background: #7b3fa0; } .fam-payment { background: #c0640a; }
.fam-network { background: #138d75; } .fam-behaviour { background: #2e5fa8; }
.fam-timing { background: #b03a5b; } .fam-shared, .fam-size { background: #566573; }
dl.facts { display: grid; grid-template-columns: repeat(4, max-content 1fr); gap: 4px 14px;
           margin: 10px 0; }
dl.facts dt { color: #566; } dl.facts dd { margin: 0; font-weight: bold; }
ul.evidence { padding-left: 0; list-style: none; margin: 0; }
ul.evidence li { margin: 3px 0; line-height: 1.5; }
.caption { color: #566; font-size: 12px; margin: 4px 0 0 0; }
.legend span { margin-right: 14px; font-size: 12px; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }
.box { display: inline-block; width: 14px; height: 9px; border: 2px solid; border-radius: 3px;
       margin-right: 4px; vertical-align: middle; }
svg { display: block; border: 1px solid #dde; margin-top: 6px; }
svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
svg .alabel { font-size: 9px; fill: #333; text-anchor: middle; }
svg .khead { font-size: 10px; font-weight: bold; text-anchor: middle; }
svg .kval { font-size: 11px; fill: #1d2733; text-anchor: middle; }
svg .tick { font-size: 10px; fill: #444; text-anchor: middle; }
svg .ylab { font-size: 10px; fill: #444; text-anchor: end; }
svg .panel { font-size: 13px; font-weight: bold; fill: #1d2733; }
table { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
th, td { border-bottom: 1px solid #e3e6ea; padding: 3px 8px; text-align: left; }
th { background: #f2f4f7; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.banned td:first-child { border-left: 4px solid #c0392b; }
tr.allowlisted td:first-child { border-left: 4px solid #2e86c1; }
footer { color: #667; font-size: 12px; margin-top: 24px; }
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _when(value: object, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if hasattr(value, "strftime") else "–"


def evidence_items(evidence: str) -> list[tuple[str, str]]:
    """(family tag, sentence) per evidence clause; untagged clauses get `size` or `shared`."""
    out = []
    for clause in (c.strip() for c in evidence.split(";")):
        if not clause:
            continue
        match = _TAG.match(clause)
        if match:
            out.append((match.group(1), match.group(2)))
        elif clause.startswith("shared:"):
            out.append(("shared", clause.removeprefix("shared:").strip()))
        else:
            out.append(("size", clause))
    return out


def _header(c: Cluster, data: ReportData) -> str:
    tier = f'<span class="badge tier-{_e(c.tier)}">{_e(c.tier)}</span>'
    flagged = "flagged: on the ban list" if c.flagged else "not flagged"
    fams = "".join(f'<span class="fam fam-{_e(f)}">{_e(f)}</span>' for f in c.families) or "none"
    allowlisted = sum(m.allowlisted for m in data.members)
    facts = [
        ("members", f"{c.size:,}"),
        ("risk score", f"{c.risk_score:.3f}"),
        ("on ban list", f"{c.n_banned:,} ({allowlisted:,} allowlisted)"),
        ("links (edges)", f"{c.n_edges:,}"),
        ("first sign-up", _when(c.first_signup) + " UTC"),
        ("last sign-up", _when(c.last_signup) + " UTC"),
        ("edge density", f"{c.weighted_density:.3f}"),
        ("review queue", "yes" if c.review else "no"),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return (
        f"<h1>Cluster {_e(c.cluster_id)}</h1>"
        f'<div class="sub">{tier}{_e(flagged)} · families fired: {fams}</div>'
        f'<dl class="facts">{dl}</dl>'
    )


def _evidence(c: Cluster) -> str:
    items = "".join(
        f'<li><span class="fam fam-{_e(tag)}">{_e(tag)}</span>{_e(text)}</li>'
        for tag, text in evidence_items(c.evidence or "")
    )
    return f'<h2>Evidence</h2><ul class="evidence">{items}</ul>'


def _legend() -> str:
    accounts = "".join(
        f'<span><i class="dot" style="background:{colour}"></i>{_e(name)} account</span>'
        for name, colour in graph_svg.ACCOUNT_COLOURS.items()
    )
    families = "".join(
        f'<span><i class="box" style="border-color:{colour}"></i>{_e(name)} identifier</span>'
        for name, colour in graph_svg.FAMILY_COLOURS.items()
        if name != "timing"
    )
    return f'<div class="legend">{accounts}{families}</div>'


def _members(data: ReportData) -> str:
    held: dict[str, Counter[str]] = {}
    kinds = {i.node_id: i.kind for i in data.identifiers}
    for account, node in data.holdings:
        held.setdefault(account, Counter())[kinds[node]] += 1
    rows = []
    for i, m in enumerate(data.members[:MAX_TABLE_ROWS], start=1):
        counts = held.get(m.account_id, Counter())
        shared = ", ".join(f"{k} {n}" if n > 1 else k for k, n in sorted(counts.items())) or "–"
        state = graph_svg.account_state(m)
        domain = f"{_e(m.email_domain)} ({_e(m.email_domain_class)})" if m.email_domain else "–"
        cells = [
            f'<td class="n">{i}</td>',
            f"<td>{_e(m.account_id)}</td>",
            f"<td>{_when(m.created_at, '%Y-%m-%d %H:%M:%S')}</td>",
            f"<td>{domain}</td>",
            f"<td>{_e(m.country or '–')}</td>",
            f"<td>{_e(shared)}</td>",
            *(
                f'<td class="n">{v:,}</td>'
                for v in (m.links, m.sessions, m.ips, m.payments, m.cards, m.requests)
            ),
            f'<td class="n">{m.active_hours:,}</td><td class="n">{m.templates:,}</td>',
            f"<td>{_e(state)}</td>",
        ]
        rows.append(f'<tr class="{state}">{"".join(cells)}</tr>')
    head = [
        "#",
        "account",
        "signed up (UTC)",
        "email domain",
        "country",
        "shares (identifier kinds)",
        "links",
        "sessions",
        "IPs",
        "payments",
        "cards",
        "requests",
        "active hours",
        "templates",
        "status",
    ]
    more = ""
    if len(data.members) > MAX_TABLE_ROWS:
        more = (
            f'<p class="caption">First {MAX_TABLE_ROWS} of {len(data.members):,} members by '
            "sign-up time; all are in published.cluster_members.</p>"
        )
    return (
        f"<h2>Members ({len(data.members):,})</h2><table><thead><tr>"
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"
    )


def render_report(data: ReportData, *, source: str) -> str:
    """The whole page; `source` names the warehouse in the footer (a file name, not a path)."""
    c = data.cluster
    view = graph_svg.select(data)
    body = [
        _header(c, data),
        _evidence(c),
        "<h2>What the members share</h2>",
        _legend(),
        graph_svg.render(view),
        f'<p class="caption">{_e(graph_svg.caption(view))} Email, phone and name values are keyed '
        "hashes; boxes show a value's first characters (hover for the whole value).</p>",
        "<h2>Timeline</h2>",
        timeline_svg.render(data),
        _members(data),
        f"<footer>From the published warehouse {_e(source)}, read-only. More: "
        f"<code>select * from published.similarity_edges where cluster_id = "
        f"'{_e(c.cluster_id)}'</code></footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Cluster {_e(c.cluster_id)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def render_index(datas: list[ReportData], *, source: str) -> str:
    """A list of the written reports, riskiest first."""
    rows = "".join(
        f'<tr><td><a href="{_e(d.cluster.cluster_id)}.html">{_e(d.cluster.cluster_id)}</a></td>'
        f'<td class="n">{d.cluster.size:,}</td><td class="n">{d.cluster.risk_score:.3f}</td>'
        f"<td>{_e(d.cluster.tier)}</td><td>{_e(', '.join(d.cluster.families))}</td></tr>"
        for d in datas
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Cluster reports</title><style>{CSS}</style></head><body>"
        f'<h1>Cluster reports</h1><p class="sub">{len(datas)} flagged clusters, riskiest first, '
        f"from {_e(source)}.</p><table><thead><tr><th>cluster</th><th>members</th><th>risk</th>"
        f"<th>tier</th><th>families</th></tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )
