"""The examiner's picture of one finger comparison, as SVG or PNG (pure: arrays in, bytes out).

Probe on the left, the matched record on the right, both at 500 ppi; every minutia
marked with its direction, the paired ones in colour and joined across, the
alignment (rotation, translation) and the scores in the caption. The picture is
built once as a list of shapes; :func:`svg` and :func:`png` only draw them.
"""
from __future__ import annotations

import base64
import colorsys
import math
from dataclasses import dataclass, field
from html import escape

import cv2
import numpy as np

from ..biometrics import Minutia

PANEL = 420           # the tallest a print is drawn (px); larger ones are scaled down
GAP = 60              # between the two prints, where the pair lines cross
CAPTION = 22          # one caption line (px)
TICK = 12             # direction tick of a minutia (px, after scaling)
UNPAIRED = (150, 150, 150)


@dataclass
class Side:
    """One print of the comparison."""
    label: str                     # "probe: TCN ..." / "CJIS record F000..."
    minutiae: list[Minutia]
    pixels: np.ndarray | None      # None: no image kept; the minutiae are drawn on blank
    width: int
    height: int


@dataclass
class Scene:
    width: int
    height: int
    images: list[tuple[int, int, np.ndarray]] = field(default_factory=list)   # x, y, grey pixels
    lines: list[tuple[float, float, float, float, tuple[int, int, int], float]] = field(default_factory=list)
    circles: list[tuple[float, float, float, tuple[int, int, int]]] = field(default_factory=list)
    texts: list[tuple[int, int, str]] = field(default_factory=list)


def _colour(i: int, n: int) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((i / max(n, 1)) * 0.85, 0.9, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def scene(probe: Side, record: Side, pairs: list[tuple[int, int]], caption: list[str]) -> Scene:
    """The shapes of the picture: two prints side by side, pairs joined, caption above."""
    scale = min(1.0, PANEL / max(probe.height, record.height, 1))
    top = CAPTION * (len(caption) + 2)
    x2 = int(probe.width * scale) + GAP
    sc = Scene(width=x2 + int(record.width * scale),
               height=top + int(max(probe.height, record.height) * scale))
    for i, line in enumerate(caption):
        sc.texts.append((4, CAPTION * (i + 1), line))
    paired_p = {a: k for k, (a, _) in enumerate(pairs)}
    paired_r = {b: k for k, (_, b) in enumerate(pairs)}
    for side, x0, paired in ((probe, 0, paired_p), (record, x2, paired_r)):
        sc.texts.append((x0 + 4, top - 6, side.label))
        if side.pixels is not None:
            px = side.pixels
            if scale != 1.0:
                px = cv2.resize(px, (int(px.shape[1] * scale), int(px.shape[0] * scale)),
                                interpolation=cv2.INTER_AREA)
            sc.images.append((x0, top, px))
        for i, m in enumerate(side.minutiae):
            k = paired.get(i)
            colour = UNPAIRED if k is None else _colour(k, len(pairs))
            x, y = x0 + m.x * scale, top + m.y * scale
            # ISO angle: counter-clockwise from x, image y pointing down
            sc.lines.append((x, y, x + TICK * math.cos(m.angle), y - TICK * math.sin(m.angle), colour, 1.5))
            sc.circles.append((x, y, 4.0 if k is not None else 2.5, colour))
    for k, (a, b) in enumerate(pairs):
        if a < len(probe.minutiae) and b < len(record.minutiae):
            pa, rb = probe.minutiae[a], record.minutiae[b]
            sc.lines.append((pa.x * scale, top + pa.y * scale, x2 + rb.x * scale, top + rb.y * scale,
                             _colour(k, len(pairs)), 0.8))
    return sc


def svg(sc: Scene) -> bytes:
    """The scene as a standalone SVG document (the prints embedded as PNG)."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{sc.width}" height="{sc.height}" '
           f'viewBox="0 0 {sc.width} {sc.height}" font-family="sans-serif" font-size="13">',
           f'<rect width="{sc.width}" height="{sc.height}" fill="white"/>']
    for ix, iy, px in sc.images:
        ok, data = cv2.imencode(".png", px)
        href = "data:image/png;base64," + base64.b64encode(data.tobytes()).decode()
        out.append(f'<image x="{ix}" y="{iy}" width="{px.shape[1]}" height="{px.shape[0]}" href="{href}"/>')
    for x1, y1, x2, y2, c, w in sc.lines:
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   f'stroke="rgb{c}" stroke-width="{w}"/>')
    for x, y, r, c in sc.circles:
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="none" stroke="rgb{c}" '
                   f'stroke-width="1.5"/>')
    for tx, ty, text in sc.texts:
        out.append(f'<text x="{tx}" y="{ty}">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out).encode()


def png(sc: Scene) -> bytes:
    """The scene as a PNG image."""
    canvas = np.full((sc.height, sc.width, 3), 255, np.uint8)
    for ix, iy, px in sc.images:
        canvas[iy:iy + px.shape[0], ix:ix + px.shape[1]] = px[..., None]
    for x1, y1, x2, y2, c, w in sc.lines:
        cv2.line(canvas, (round(x1), round(y1)), (round(x2), round(y2)), c[::-1], max(1, round(w)),
                 cv2.LINE_AA)
    for x, y, r, c in sc.circles:
        cv2.circle(canvas, (round(x), round(y)), round(r), c[::-1], 1, cv2.LINE_AA)
    for tx, ty, text in sc.texts:
        cv2.putText(canvas, text.encode("ascii", "replace").decode(), (tx, ty), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, (0, 0, 0), 1, cv2.LINE_AA)
    ok, data = cv2.imencode(".png", canvas)
    return data.tobytes()
