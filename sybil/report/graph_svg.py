"""The cluster as a bipartite graph in inline SVG: accounts and the identifiers they share.

Accounts are circles, shared identifiers labelled boxes (kind, short value, how many hold it),
laid out by networkx's seeded spring layout and then nudged apart so labels do not overlap. Big
clusters are capped to the identifiers that tie the cluster most and the members holding most of
them; the caption says what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import networkx as nx
import numpy as np

from sybil.report.data import Identifier, Member, ReportData

MAX_MEMBERS = 60
MAX_IDENTIFIERS = 40
# No kind takes more than this share of the boxes while other kinds wait: a farm's hundred
# template-hour pairs would otherwise crowd out its three cards.
MAX_PER_KIND = 8
WIDTH, HEIGHT, MARGIN = 1300, 780, 14
GAP = 4.0  # px kept between boxes
FAMILY_COLOURS = {
    "identity": "#7b3fa0",
    "payment": "#c0640a",
    "network": "#138d75",
    "behaviour": "#2e5fa8",
    "timing": "#b03a5b",
}
ACCOUNT_COLOURS = {"banned": "#c0392b", "allowlisted": "#2e86c1", "other": "#7f8c8d"}
# Kinds whose keys are keyed hashes (HMAC) or long fingerprints: a prefix is enough to tell apart.
_HASHED = {"email", "phone", "name", "device", "card", "tls", "prompt"}
_CHAR_W = 6.3  # px per character at the 11px label font (a safe overestimate for system sans)


@dataclass(frozen=True)
class GraphView:
    members: tuple[Member, ...]
    identifiers: tuple[Identifier, ...]
    edges: tuple[tuple[str, str], ...]  # (account_id, identifier node_id)
    total_members: int
    total_identifiers: int


def account_state(member: Member) -> str:
    if member.banned:
        return "banned"
    return "allowlisted" if member.allowlisted else "other"


def short_value(kind: str, key: str) -> str:
    """A label-sized version of a key (the full key is in the node's tooltip)."""
    if kind == "prompt_hour":
        template, _, hour = key.partition(" ")
        return f"{template[:8]} @ {hour[5:].replace('T', ' ')}h"
    if kind == "prompt_set":
        band, _, bucket = key.partition(":")
        return f"band {band}: {bucket[:8]}"
    if kind in _HASHED:
        return key[:10] + ("…" if len(key) > 10 else "")
    return key if len(key) <= 24 else key[:23] + "…"


def _pick(ranked: tuple[Identifier, ...]) -> list[Identifier]:
    """The most important identifiers, at most MAX_PER_KIND of a kind unless boxes are left."""
    first: list[Identifier] = []
    rest: list[Identifier] = []
    per_kind: dict[str, int] = {}
    for ident in ranked:
        seen = per_kind.get(ident.kind, 0)
        per_kind[ident.kind] = seen + 1
        (first if seen < MAX_PER_KIND else rest).append(ident)
    chosen = (first + rest)[:MAX_IDENTIFIERS]
    order = {i.node_id: n for n, i in enumerate(ranked)}
    return sorted(chosen, key=lambda i: order[i.node_id])


def select(data: ReportData) -> GraphView:
    """The identifiers that tie the cluster most, and the members holding most of them."""
    idents = _pick(data.identifiers)
    strength = {i.node_id: i.strength for i in idents}
    score: dict[str, float] = {m.account_id: 0.0 for m in data.members}
    for account, node in data.holdings:
        if node in strength and account in score:
            score[account] += strength[node]
    members = sorted(data.members, key=lambda m: (-score[m.account_id], m.account_id))
    members = members[:MAX_MEMBERS]
    drawn = {m.account_id for m in members}
    edges = tuple(sorted((a, n) for a, n in data.holdings if a in drawn and n in strength))
    used = {n for _, n in edges}
    return GraphView(
        members=tuple(sorted(members, key=lambda m: m.account_id)),
        identifiers=tuple(i for i in idents if i.node_id in used),
        edges=edges,
        total_members=len(data.members),
        total_identifiers=len(data.identifiers),
    )


def _ident_lines(ident: Identifier) -> tuple[str, str]:
    held = f"{ident.holders} here" + (
        f", {ident.n_accounts} in all" if ident.n_accounts > ident.holders else ""
    )
    return f"{ident.kind} · {held}", short_value(ident.kind, ident.key)


def _when(member: Member) -> str:
    return f"{member.created_at:%Y-%m-%d %H:%M} UTC" if member.created_at else "at an unknown time"


def _account_label(account_id: str) -> str:
    return account_id if len(account_id) <= 14 else account_id[:13] + "…"


def _spread(pos: np.ndarray, half: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Push overlapping boxes apart along their lesser overlap: cheap decongestion before
    `_place`, which then moves few boxes, and not far."""
    n = len(pos)
    low = half + MARGIN
    high = np.array([WIDTH, HEIGHT]) - half - MARGIN
    reach = half[:, None, :] + half[None, :, :] + GAP
    tie = np.sign(np.arange(n)[:, None] - np.arange(n)[None, :]).astype(float)
    others = ~np.eye(n, dtype=bool)
    for _ in range(iterations):
        d = pos[:, None, :] - pos[None, :, :]
        overlap = reach - np.abs(d)
        near = (overlap[..., 0] > 0) & (overlap[..., 1] > 0) & others
        if not near.any():
            break
        sign = np.sign(d)
        sign[sign == 0] = np.broadcast_to(tie[:, :, None], sign.shape)[sign == 0]
        sideways = overlap[..., 0] * 0.6 < overlap[..., 1]
        push = np.stack(
            [
                np.where(near & sideways, overlap[..., 0] * sign[..., 0], 0.0).sum(axis=1),
                np.where(near & ~sideways, overlap[..., 1] * sign[..., 1], 0.0).sum(axis=1),
            ],
            axis=1,
        )
        pos = np.clip(pos + 0.5 * push, low, high)
    return pos


def _spiral(step: float = 8.0, reach: float = 700.0) -> np.ndarray:
    """Offsets from (0, 0) outwards on rings `step` apart, about `step` apart along each ring."""
    rings = [np.zeros((1, 2))]
    for radius in np.arange(step, reach, step):
        count = max(8, int(2 * np.pi * radius / step))
        angle = np.linspace(0, 2 * np.pi, count, endpoint=False) + radius  # vary the start
        rings.append(np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius)
    return np.concatenate(rings)


_OFFSETS = _spiral()
# Nearest candidates are tried first, in small blocks: most boxes find room on the first rings.
_CHUNKS = [(0, 64), (64, 512), *((a, a + 2048) for a in range(512, len(_OFFSETS), 2048))]


def _place(pos: np.ndarray, half: np.ndarray, order: list[int]) -> np.ndarray:
    """Move each box, in `order`, to the free spot nearest its layout position.

    A box never overlaps one placed before it (GAP px apart); the spring layout's structure
    survives because each box moves no further than it must."""
    low = half + MARGIN
    high = np.array([WIDTH, HEIGHT]) - half - MARGIN
    out = pos.copy()
    placed: list[int] = []
    for i in order:
        candidates = np.clip(pos[i] + _OFFSETS, low[i], high[i])
        if placed:
            others, reach = out[placed], half[placed] + half[i] + GAP
            for a, b in _CHUNKS:
                block = candidates[a:b]
                apart = (np.abs(block[:, None, :] - others[None, :, :]) >= reach).any(axis=2)
                free = np.flatnonzero(apart.all(axis=1))
                if free.size:
                    out[i] = block[free[0]]
                    break
            else:
                out[i] = candidates[0]  # no room left: keep the layout's spot
        else:
            out[i] = candidates[0]
        placed.append(i)
    return out


def layout(view: GraphView) -> dict[str, tuple[float, float, float, float]]:
    """node -> (x, y, half width, half height); accounts are `a:<id>`, identifiers `k:<id>`."""
    graph = nx.Graph()
    nodes = [f"a:{m.account_id}" for m in view.members]
    nodes += [f"k:{i.node_id}" for i in view.identifiers]
    graph.add_nodes_from(nodes)
    graph.add_edges_from((f"a:{a}", f"k:{n}") for a, n in view.edges)
    if not nodes:
        return {}
    k = 2.2 / max(len(nodes), 1) ** 0.5
    raw = nx.spring_layout(graph, seed=7, iterations=200, k=k)
    half = []
    for node in nodes:
        if node.startswith("k:"):
            ident = next(i for i in view.identifiers if f"k:{i.node_id}" == node)
            width = max(len(line) for line in _ident_lines(ident)) * _CHAR_W + 14
            half.append((width / 2, 17.0))
        else:
            half.append((max(len(_account_label(node[2:])) * 5.4, 16) / 2 + 2, 15.0))
    half_arr = np.array(half)
    xy = np.array([raw[node] for node in nodes], dtype=float)
    span = np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    linear = (xy - xy.min(axis=0)) / span
    # Half linear, half by rank: a hub's dense core gets room without losing left/right order.
    ranks = np.argsort(np.argsort(xy, axis=0, kind="stable"), axis=0) / max(len(nodes) - 1, 1)
    inner = np.array([WIDTH, HEIGHT]) - 2 * (MARGIN + half_arr.max(axis=0))
    xy = (0.5 * linear + 0.5 * ranks) * inner + MARGIN + half_arr.max(axis=0)
    # Identifiers first (their labels matter most), most important first; then the accounts.
    rank = {f"k:{i.node_id}": n for n, i in enumerate(view.identifiers)}
    order = sorted(range(len(nodes)), key=lambda j: (nodes[j] not in rank, rank.get(nodes[j], j)))
    xy = _place(_spread(xy, half_arr), half_arr, order)
    return {
        node: (float(x), float(y), float(hw), float(hh))
        for node, (x, y), (hw, hh) in zip(nodes, xy, half_arr, strict=True)
    }


def render(view: GraphView) -> str:
    """The graph as an `<svg>` element; every text is escaped."""
    pos = layout(view)
    idents = {i.node_id: i for i in view.identifiers}
    out = [
        f'<svg id="cluster-graph" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="accounts and the identifiers they share">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfbfc"/>',
        '<g class="edges">',
    ]
    for account, node in view.edges:
        x1, y1, _, _ = pos[f"a:{account}"]
        x2, y2, _, _ = pos[f"k:{node}"]
        colour = FAMILY_COLOURS.get(idents[node].family, "#888")
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-opacity="0.35" stroke-width="1.2"/>'
        )
    out.append('</g><g class="accounts">')
    for member in view.members:
        x, y, _, _ = pos[f"a:{member.account_id}"]
        state = account_state(member)
        out.append(
            f'<g class="node account {state}"><title>{escape(member.account_id)} ({state}; '
            f"signed up {_when(member)})</title>"
            f'<circle cx="{x:.1f}" cy="{y - 5:.1f}" r="6.5" fill="{ACCOUNT_COLOURS[state]}" '
            f'stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{y + 11:.1f}" class="alabel">'
            f"{escape(_account_label(member.account_id))}</text></g>"
        )
    out.append('</g><g class="identifiers">')
    for ident in view.identifiers:
        x, y, hw, hh = pos[f"k:{ident.node_id}"]
        colour = FAMILY_COLOURS.get(ident.family, "#888")
        head, value = _ident_lines(ident)
        out.append(
            f'<g class="node identifier {escape(ident.family)}"><title>{escape(ident.kind)} '
            f"{escape(ident.key)} ({ident.family}; held by {ident.holders} members, "
            f"{ident.n_accounts} accounts in all)</title>"
            f'<rect x="{x - hw:.1f}" y="{y - hh:.1f}" width="{2 * hw:.1f}" height="{2 * hh:.1f}" '
            f'rx="5" fill="#fff" stroke="{colour}" stroke-width="1.6"/>'
            f'<text x="{x:.1f}" y="{y - 3:.1f}" class="khead" fill="{colour}">{escape(head)}</text>'
            f'<text x="{x:.1f}" y="{y + 11:.1f}" class="kval">{escape(value)}</text></g>'
        )
    out.append("</g></svg>")
    return "\n".join(out)


def caption(view: GraphView) -> str:
    """What the drawing shows and leaves out, as plain text."""
    parts = [
        f"{len(view.members)} of {view.total_members} members and {len(view.identifiers)} of "
        f"{view.total_identifiers} shared identifiers drawn"
    ]
    if len(view.members) < view.total_members or len(view.identifiers) < view.total_identifiers:
        parts.append(
            f"capped at the {MAX_IDENTIFIERS} identifiers that tie the cluster most (holders "
            f"times strength, at most {MAX_PER_KIND} of a kind while others remain) and the "
            f"{MAX_MEMBERS} members holding most of them; the table below lists every member"
        )
    return "; ".join(parts) + "."
