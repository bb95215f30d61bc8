"""The probe: a transaction's fingers as templates, extracted once at intake and kept.

Intake (the SIB) extracts every finger and judges it usable or not; the
templates are stored with the transaction, and CJIS and IDENT search with
those same templates.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import interchange as nist
from ..biometrics import DEFAULT_EXTRACTOR, ExtractionError, FingerprintImage, FingerprintTemplate, extract
from ..bus import StepContext
from ..interchange.images import encode_wsq
from ..storage.tables import ProbeFingerRow

MIN_FINGER_QUALITY = 20
"""A finger whose quality (0-100) is below this is unusable: it is not searched and,
when too few usable fingers remain, the submission is rejected naming each one."""


@dataclass
class Unusable:
    finger: int
    record: str
    reason: str


FingerMap = Callable[[Callable[..., Any], list[tuple[Any, ...]]], list[Any]]
"""Runs a function over argument tuples, answering in order: here (``in_order``), or as Ray
tasks across a cluster (``processes.ray_map``)."""


def in_order(fn: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> list[Any]:
    return [fn(*job) for job in jobs]


def examine_finger(pixels: np.ndarray, ppi: float, extractor: str) -> FingerprintTemplate | str:
    """A usable template of one impression, or why it is not one."""
    try:
        tpl = extract(FingerprintImage(pixels, ppi=ppi), extractor)
    except ExtractionError as exc:
        return f"no usable print: {exc}"
    except (ValueError, cv2.error) as exc:   # the image passed the rules but not the engine
        return f"cannot be processed: {exc}"[:200]
    if tpl.quality < MIN_FINGER_QUALITY:
        return f"quality {tpl.quality} below the minimum {MIN_FINGER_QUALITY} ({len(tpl.minutiae)} minutiae)"
    return tpl


def extract_fingers(t: nist.Transaction, extractor: str = DEFAULT_EXTRACTOR, run: FingerMap = in_order
                    ) -> tuple[dict[int, FingerprintTemplate], list[Unusable]]:
    """Usable templates by finger position, and the fingers found unusable (with why).

    The first impression of each position is examined (all of them at once when ``run``
    spreads them); a position's next impression only if the one before was unusable."""
    usable: dict[int, FingerprintTemplate] = {}
    unusable: list[Unusable] = []
    pending = [img for img in t.images if 1 <= img.position <= 10]
    while pending:
        batch: list[nist.FingerImage] = []
        later: list[nist.FingerImage] = []
        for img in pending:
            if img.position not in usable:
                (later if any(b.position == img.position for b in batch) else batch).append(img)
        jobs, examined = [], []
        for img in batch:
            try:
                jobs.append((nist.decode_finger_pixels(img), img.ppi or 500.0, extractor))
                examined.append(img)
            except (ValueError, cv2.error) as exc:
                unusable.append(Unusable(img.position, f"Type-{img.record_type}", f"cannot be processed: {exc}"[:200]))
        for img, out in zip(examined, run(examine_finger, jobs)):
            if isinstance(out, str):
                unusable.append(Unusable(img.position, f"Type-{img.record_type}", out))
            else:
                out.finger_position = img.position
                usable[img.position] = out
        pending = later
    return usable, unusable


def finger_images(raw: bytes, fingers: Iterable[int]) -> dict[int, bytes]:
    """The transaction's impressions of ``fingers`` as WSQ at 500 ppi (the frame of their
    templates), for a record enrolled from it: a 500 ppi WSQ image as sent, others re-encoded."""
    wanted, out = set(fingers), {}
    for img in nist.decode(raw).images:
        if img.position not in wanted or img.position in out:
            continue
        if img.compression.upper() == "WSQ" and abs((img.ppi or 500.0) - 500.0) < 5:
            out[img.position] = img.data
        else:
            pixels = FingerprintImage(nist.decode_finger_pixels(img), ppi=img.ppi or 500.0).pixels
            out[img.position] = encode_wsq(pixels)
    return out


def store(ctx: StepContext, probe: dict[int, FingerprintTemplate]) -> None:
    for finger, tpl in sorted(probe.items()):
        ctx.session.add(ProbeFingerRow(transaction_id=ctx.tx.id, finger=finger,
                                       template=tpl.to_iso(), quality=tpl.quality))


def probe_of(s: Session, transaction_id: int) -> dict[int, FingerprintTemplate]:
    rows = s.scalars(select(ProbeFingerRow).where(ProbeFingerRow.transaction_id == transaction_id))
    return {r.finger: FingerprintTemplate.from_iso(r.template) for r in rows}
