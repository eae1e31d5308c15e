"""What changed between two renders of a component, as the page's operations.

A component answers an event with its whole HTML over HTTP (htmx swaps it), and over the
page's socket with only what changed:

- nothing, when the HTML is the same as last time;
- for a keyed collection (an element marked ``data_keyed=True`` whose children all have an
  id, such as a table's rows), the rows that changed (``morph``), appeared (``after`` the row
  before them, or ``prepend``), went (``remove``), or moved (taken out and put back: the rows
  outside the longest run that kept its order), or, when that is more than the rows
  themselves (a new page), the collection's rows whole (``inner``);
- for a part (an element marked ``data_part=True`` with an id, such as a grid's pager), its
  content (``inner``) when it changed;
- so when nothing outside the collections and parts changed, only those go; else the whole
  component (``morph``).

What is kept per instance between renders: a digest of the HTML outside the collections and
parts, per collection each row's id and a 16-byte digest of its HTML (not the HTML), and per
part a digest of its content.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from appkit.html import Element, Safe, render

__all__ = ["Rendered", "diff", "rendered"]


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


@dataclass
class Rendered:
    """One render of a component: its HTML and what the next diff needs of it."""

    html: str
    whole: bytes
    rest: bytes | None                                   # None: no keyed diff possible
    rows: dict[str, list[tuple[str, bytes, str]]]        # container id -> (id, digest, html)
    parts: dict[str, tuple[bytes, str]] = dataclasses.field(default_factory=dict)
    # part id -> (digest, its content's HTML)

    def kept(self) -> Rendered:
        """The part worth keeping until the next render (no HTML)."""
        return Rendered("", self.whole, self.rest,
                        {c: [(i, d, "") for i, d, _ in rows] for c, rows in self.rows.items()},
                        {p: (d, "") for p, (d, _) in self.parts.items()})


def _keyed(node: Any, found: list[Element]) -> None:
    if isinstance(node, Element):
        if (node.attrs.get("data-keyed") not in (None, False)
                or node.attrs.get("data-part") not in (None, False)):
            found.append(node)
            return
        for child in node.children:
            _keyed(child, found)
    elif isinstance(node, list | tuple):
        for child in node:
            _keyed(child, found)


def _flat(children: Any) -> list[Any]:
    out: list[Any] = []
    for child in children:
        if isinstance(child, list | tuple):
            out += _flat(child)
        else:
            out.append(child)
    return out


def rendered(root: Element) -> Rendered:
    """Render ``root`` (the component's element) and note its keyed collections (each row
    is rendered once: the collection's HTML is made of the rows' HTML)."""
    containers: list[Element] = []
    _keyed(root, containers)
    rows: dict[str, list[tuple[str, bytes, str]]] = {}
    pieces: dict[str, tuple[bytes, str]] = {}
    cut: dict[str, str] = {}                             # container or part id -> its content
    swapped: list[tuple[Element, tuple[Any, ...]]] = []
    keyed = True
    for container in containers:
        cid = container.attrs.get("id")
        if container.attrs.get("data-keyed") in (None, False):     # a part
            if not isinstance(cid, str) or cid in cut:
                keyed = False
                break
            inner = render(list(container.children))
            pieces[cid] = (_digest(inner), inner)
        else:
            children = [c for c in _flat(container.children) if c is not None and c != ""]
            if not isinstance(cid, str) or cid in cut or not all(
                    isinstance(c, Element) and isinstance(c.attrs.get("id"), str)
                    for c in children):
                keyed = False
                break
            parts = [render(c) for c in children]
            rows[cid] = [(c.attrs["id"], _digest(h), h) for c, h in zip(children, parts,
                                                                        strict=True)]
            inner = "".join(parts)
        cut[cid] = inner
        swapped.append((container, container.children))
        container.children = (Safe(inner),)
    try:
        html = render(root)
    finally:
        for container, kept in swapped:
            container.children = kept
    rest: str | None = html if keyed else None
    for cid, inner in cut.items():
        if rest is None:
            break
        start = rest.find(f'id="{cid}"')
        start = rest.find(">", start) + 1 if start >= 0 else -1
        if start <= 0 or rest[start:start + len(inner)] != inner:
            rest = None
            break
        rest = rest[:start] + rest[start + len(inner):]
    if not keyed:
        rows, pieces = {}, {}
    return Rendered(html, _digest(html), None if rest is None else _digest(rest), rows, pieces)


def diff(before: Rendered | None, after: Rendered, target: str) -> list[dict[str, Any]]:
    """The operations that turn the page's ``before`` into ``after`` (``target``: the
    component's id)."""
    if before is not None and before.whole == after.whole:
        return []
    whole = [{"op": "morph", "target": target, "html": after.html}]
    if (before is None or before.rest is None or after.rest is None
            or before.rest != after.rest or before.rows.keys() != after.rows.keys()
            or before.parts.keys() != after.parts.keys()):
        return whole
    ops: list[dict[str, Any]] = []
    for part, (digest, html) in after.parts.items():
        if before.parts[part][0] != digest:
            ops.append({"op": "inner", "target": part, "html": html})
    for container, new in after.rows.items():
        ops += _rows(container, before.rows[container], new)
    size = sum(len(op.get("html", "")) + 40 for op in ops)
    return ops if size < len(after.html) else whole


def _rows(container: str, old: list[tuple[str, bytes, str]],
          new: list[tuple[str, bytes, str]]) -> list[dict[str, Any]]:
    """The operations that turn the collection ``container``'s ``old`` rows into
    ``new``: the rows that changed, or its rows whole when that is smaller."""
    old_at = {i: n for n, (i, _, _) in enumerate(old)}
    old_digest = {i: d for i, d, _ in old}
    new_ids = {i for i, _, _ in new}
    # Rows that kept their order stay where they are; the others (moved by a sort, or
    # an edit that changed a row's place) are taken out and put back where they go.
    order = [old_at[i] for i, _, _ in new if i in old_at]
    if all(a < b for a, b in zip(order, order[1:], strict=False)):
        stay = {old[n][0] for n in order}             # nothing moved: no search
    else:
        stay = {old[n][0] for n in _longest_increasing(order)}
    ops: list[dict[str, Any]] = [{"op": "remove", "target": i} for i, _, _ in old
                                 if i not in new_ids or i not in stay]
    previous: str | None = None
    for row_id, digest, html in new:
        if row_id not in stay:
            ops.append({"op": "after", "target": previous, "html": html} if previous
                       else {"op": "prepend", "target": container, "html": html})
        elif old_digest[row_id] != digest:
            ops.append({"op": "morph", "target": row_id, "html": html})
        previous = row_id
    size = sum(len(op.get("html", "")) + 40 for op in ops)
    whole = "".join(h for _, _, h in new)
    if size <= len(whole) + 40:
        return ops
    return [{"op": "inner", "target": container, "html": whole}]


def _longest_increasing(values: list[int]) -> list[int]:
    """The longest strictly increasing subsequence of ``values`` (its values)."""
    tails: list[int] = []          # tails[k]: index in values of the end of a run k+1 long
    before: list[int] = [-1] * len(values)
    for n, value in enumerate(values):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if values[tails[mid]] < value:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            before[n] = tails[lo - 1]
        if lo == len(tails):
            tails.append(n)
        else:
            tails[lo] = n
    out: list[int] = []
    at = tails[-1] if tails else -1
    while at >= 0:
        out.append(values[at])
        at = before[at]
    return out[::-1]
