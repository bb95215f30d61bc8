"""The examiner's picture: shapes from a comparison, drawn as SVG and PNG (no database)."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import cv2
import numpy as np
from hypothesis import given, settings, strategies as st

from scomm.biometrics import Minutia
from scomm.examiner import picture

SVG = "{http://www.w3.org/2000/svg}"


def _side(n: int, h: int = 400, w: int = 300, pixels: bool = True) -> picture.Side:
    mins = [Minutia(10 + 7 * i % (w - 20), 10 + 11 * i % (h - 20), i * 0.3) for i in range(n)]
    px = np.full((h, w), 200, np.uint8) if pixels else None
    return picture.Side("side", mins, px, w, h)


def test_pairs_are_joined_and_every_minutia_is_marked():
    probe, record = _side(12), _side(9, pixels=False)
    pairs = [(0, 1), (3, 2), (5, 8)]
    sc = picture.scene(probe, record, pairs, ["caption <b> & more"])
    root = ET.fromstring(picture.svg(sc))
    assert len(root.findall(f"{SVG}image")) == 1        # the record has no image kept
    assert len(root.findall(f"{SVG}circle")) == 12 + 9
    joins = [e for e in root.findall(f"{SVG}line") if e.get("stroke-width") == "0.8"]
    assert len(joins) == 3
    # a join starts on the probe's minutia and ends on the record's, in the right panel
    p, r = probe.minutiae[3], record.minutiae[2]
    j = joins[1]
    top = picture.CAPTION * 3
    assert (float(j.get("x1")), float(j.get("y1"))) == (p.x, top + p.y)
    assert float(j.get("x2")) == probe.width + picture.GAP + r.x
    assert "caption <b> & more" in [t.text for t in root.findall(f"{SVG}text")]


def test_a_direction_tick_points_along_the_iso_angle():
    m = Minutia(50, 60, math.pi / 2)      # ISO: pi/2 points to the top of the image
    sc = picture.scene(picture.Side("p", [m], None, 200, 200), picture.Side("r", [], None, 200, 200), [], [])
    x1, y1, x2, y2, _, _ = sc.lines[0]
    assert abs(x2 - x1) < 1e-6 and y2 < y1


@settings(max_examples=20, deadline=None)
@given(st.integers(100, 900), st.integers(100, 900), st.integers(0, 30))
def test_large_prints_are_scaled_down_and_the_png_matches_the_svg(h, w, n):
    sc = picture.scene(_side(n, h, w), _side(n, h, w), [(i, i) for i in range(n)], ["x"])
    assert sc.height <= picture.PANEL + picture.CAPTION * 3 + 1
    img = cv2.imdecode(np.frombuffer(picture.png(sc), np.uint8), cv2.IMREAD_COLOR)
    root = ET.fromstring(picture.svg(sc))
    assert img.shape[:2] == (sc.height, sc.width) == (int(root.get("height")), int(root.get("width")))
