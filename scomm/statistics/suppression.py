"""Small-count suppression for public output: primary cells, complementary cells, and an audit.

The rule (``RULE``): a count from 1 to ``THRESHOLD - 1`` (1..9) is not shown in
public output; it is printed ``<10`` (primary suppression). Zero is shown: a
zero discloses no person. Totals and subtotals are always computed from the
unsuppressed data, so published totals are exact.

Because totals are exact, one hidden cell in a published sum could be recovered
by subtraction. Complementary suppression hides more cells until no hidden cell
can be computed exactly from the published numbers:

1. every published additive relation ("equation": a total and its parts, e.g. a
   county's Level 1+2+3+non-criminal = total, or the counties of a state = the
   state subtotal) holding exactly one hidden cell gets a second one hidden: the
   smallest published part of at least ``THRESHOLD`` if any (so that the primary
   cell keeps its whole 1..9 range), else the smallest non-zero part, else the total;
2. then an exact audit: a hidden cell is recoverable from a set of linear
   equations iff its coordinate is zero in every vector of the null space of
   the equations restricted to the hidden cells. Each recoverable cell gets
   one more neighbour hidden, and the audit runs again until none is left.

What this protects against: exact recovery of a hidden count by any linear
combination of the published sums in one table. What it does not: bounds
(an attacker still knows a ``<10`` cell is between 1 and 9) and differencing
across releases (cumulative through month M minus cumulative through M-1 of
the previous report); a publisher who needs that should release cumulative
figures only, or suppress persistently.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from scipy.linalg import qr, solve_triangular

THRESHOLD = 10
SMALL = f"<{THRESHOLD}"          # how a primary-suppressed cell is printed
HIDDEN = "(s)"                   # how a complementary-suppressed cell is printed
RULE = (f"Counts from 1 to {THRESHOLD - 1} are shown as '{SMALL}' (primary suppression); zero is "
        f"shown. Further cells marked '{HIDDEN}' are hidden (complementary suppression) so that no "
        "hidden count can be recovered exactly by subtraction from a published total or subtotal. "
        "Totals are computed from the unsuppressed data.")

K = TypeVar("K", bound=Hashable)
Equation = tuple[K, Sequence[K]]   # (total, parts): total == sum(parts)


def is_small(n: float | None, threshold: int = THRESHOLD) -> bool:
    return n is not None and 0 < n < threshold


def suppress(values: Mapping[K, int], equations: Sequence[Equation], *,
             threshold: int = THRESHOLD, audit: bool = True) -> dict[K, str]:
    """The cells to hide: ``{cell: "primary" | "complementary"}``.

    ``values`` are the true counts of every published cell; ``equations`` the
    published additive relations between them.
    """
    marks: dict[K, str] = {k: "primary" for k, v in values.items() if is_small(v, threshold)}
    eqs = [(t, list(ps)) for t, ps in equations if ps]
    by_cell: dict[K, list[int]] = defaultdict(list)
    for i, (t, ps) in enumerate(eqs):
        for c in (t, *ps):
            by_cell[c].append(i)
    while True:
        _single_hidden_pass(values, eqs, marks, threshold)
        if not audit:
            return marks
        recoverable = _recoverable(eqs, marks)
        if not recoverable:
            return marks
        grew = False
        for k in recoverable:
            grew |= _hide_neighbour(k, values, eqs, by_cell, marks, threshold)
        if not grew:   # every related cell is already hidden: nothing more can be done
            return marks


def _pick(cells: list, total, values: Mapping, marks: Mapping, threshold: int):
    """The cell of an equation to hide next: keep the total and small numbers visible if possible."""
    open_parts = [c for c in cells if c != total and c not in marks]
    large = [c for c in open_parts if values.get(c, 0) >= threshold]
    if large:
        return min(large, key=lambda c: values.get(c, 0))
    nonzero = [c for c in open_parts if values.get(c, 0) > 0]
    if nonzero:
        return min(nonzero, key=lambda c: values.get(c, 0))
    if open_parts:
        return open_parts[0]
    return total if total not in marks else None


def _single_hidden_pass(values, eqs, marks, threshold) -> None:
    changed = True
    while changed:
        changed = False
        for t, ps in eqs:
            cells = [t, *ps]
            if sum(c in marks for c in cells) == 1:
                pick = _pick(cells, t, values, marks, threshold)
                if pick is not None:
                    marks[pick] = "complementary"
                    changed = True


def _recoverable(eqs: Sequence[tuple[K, Sequence[K]]], marks: Mapping[K, str]) -> list[K]:
    """Hidden cells whose value the published equations determine exactly."""
    hidden = [c for c in marks]
    index = {c: i for i, c in enumerate(hidden)}
    # connected components of hidden cells through shared equations (union-find)
    parent = list(range(len(hidden)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = []
    for t, ps in eqs:
        coef = {}
        if t in index:
            coef[index[t]] = 1.0
        for p in ps:
            if p in index:
                coef[index[p]] = coef.get(index[p], 0.0) - 1.0
        if coef:
            rows.append(coef)
            first, *rest = coef
            for j in rest:
                parent[find(j)] = find(first)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(hidden)):
        groups[find(i)].append(i)
    comp_rows: dict[int, list[dict]] = defaultdict(list)
    for coef in rows:
        comp_rows[find(next(iter(coef)))].append(coef)
    out: list[K] = []
    for root, members in groups.items():
        eq = comp_rows.get(root)
        if not eq:
            continue   # a hidden cell in no published sum cannot be recovered
        bridges = _graph_determined(members, eq)
        if bridges is not None:
            out.extend(hidden[m] for m in bridges)
            continue
        col = {m: j for j, m in enumerate(members)}
        a = np.zeros((len(eq), len(members)))
        for r, coef in enumerate(eq):
            for i, v in coef.items():
                a[r, col[i]] = v
        free = _null_space_support(a)
        out.extend(hidden[m] for m, j in col.items() if not free[j])
    return out


def _null_space_support(a: np.ndarray) -> np.ndarray:
    """For each column, whether some null-space vector of ``a`` is non-zero there.

    Rank-revealing QR with column pivoting, A P = Q [R11 R12]: the null space is spanned by
    P [-R11^-1 R12; I], in O(m n min(m, n)) rather than a full SVD's O(n^3).
    """
    m, n = a.shape
    _q, r, piv = qr(a, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int((d > (d.max() if d.size else 0.0) * max(m, n) * 1e-10).sum())
    support = np.zeros(n, dtype=bool)
    if rank == n:
        return support
    x = solve_triangular(r[:rank, :rank], r[:rank, rank:]) if rank else np.zeros((0, n - rank))
    support[piv[rank:]] = True
    support[piv[:rank]] = np.abs(x).max(axis=1) > 1e-9 if rank else False
    return support


def _graph_determined(members: list[int], eqs: list[dict]) -> list[int] | None:
    """The determined cells of a component, in linear time, when its equations form a graph.

    If every hidden cell is in at most two equations with coefficients +-1 that can be
    signed as a directed graph's incidence matrix (a cell in one equation is an edge to a
    "ground" node without an equation), the null space is the cycle space: a cell is
    determined iff its edge is a bridge. None when the shape does not allow this (the
    caller then uses the dense null space).
    """
    where: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for n, coef in enumerate(eqs):
        for i, v in coef.items():
            if abs(abs(v) - 1.0) > 1e-12:
                return None
            where[i].append((n, v))
    if any(len(where[i]) > 2 for i in members) or not _balanced(members, where):
        return None
    ground = len(eqs)
    adj: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for e, i in enumerate(members):      # edge number e is hidden cell members[e]
        a = where[i][0][0]
        b = where[i][1][0] if len(where[i]) == 2 else ground
        adj[a].append((b, e))
        adj[b].append((a, e))
    bridges = _bridges(adj)
    return [i for e, i in enumerate(members) if e in bridges]


def _balanced(members: list[int], where: dict) -> bool:
    """Whether node signs exist with s_a * va == -(s_b * vb) for every two-ended cell, so that
    each such cell leaves one equation and enters the other (a directed edge)."""
    links: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for i in members:
        if len(where[i]) == 2:
            (a, va), (b, vb) = where[i]
            links[a].append((b, -va * vb))
            links[b].append((a, -va * vb))
    sign: dict[int, float] = {}
    for start in links:
        if start in sign:
            continue
        sign[start] = 1.0
        stack = [start]
        while stack:
            a = stack.pop()
            for b, need in links[a]:
                want = need * sign[a]
                if b not in sign:
                    sign[b] = want
                    stack.append(b)
                elif sign[b] != want:
                    return False
    return True


def _bridges(adj: dict[int, list[tuple[int, int]]]) -> set[int]:
    """Bridge edges of a multigraph (iterative Tarjan; parallel edges are not bridges)."""
    disc: dict[int, int] = {}
    low: dict[int, int] = {}
    out: set[int] = set()
    clock = 0
    for root in list(adj):
        if root in disc:
            continue
        disc[root] = low[root] = clock
        clock += 1
        stack = [(root, -1, iter(adj[root]))]
        while stack:
            node, via, it = stack[-1]
            advanced = False
            for nxt, e in it:
                if e == via:
                    continue
                if nxt in disc:
                    low[node] = min(low[node], disc[nxt])
                else:
                    disc[nxt] = low[nxt] = clock
                    clock += 1
                    stack.append((nxt, e, iter(adj[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        out.add(via)
    return out


def _hide_neighbour(k, values, eqs, by_cell, marks, threshold) -> bool:
    """Hide one more published cell sharing an equation with ``k`` (breadth first)."""
    seen, frontier = {k}, [k]
    while frontier:
        nxt = []
        for c in frontier:
            for i in by_cell.get(c, ()):
                t, ps = eqs[i]
                pick = _pick([t, *ps], t, values, marks, threshold)
                if pick is not None:
                    marks[pick] = "complementary"
                    return True
                for d in (t, *ps):
                    if d not in seen:
                        seen.add(d)
                        nxt.append(d)
        frontier = nxt
    return False


def shown(value: int | None, mark: str | None) -> str:
    """How a cell is printed in public output."""
    if mark == "primary":
        return SMALL
    if mark == "complementary":
        return HIDDEN
    return "" if value is None else f"{value:,}"
