"""The probe: a transaction's fingers as templates, extracted once at intake and kept.

Intake (the SIB) extracts every finger and judges it usable or not; the
templates are stored with the transaction, and CJIS and IDENT search with
those same templates.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
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


def extract_fingers(t: nist.Transaction, extractor: str = DEFAULT_EXTRACTOR
                    ) -> tuple[dict[int, FingerprintTemplate], list[Unusable]]:
    """Usable templates by finger position, and the fingers found unusable (with why)."""
    usable: dict[int, FingerprintTemplate] = {}
    unusable: list[Unusable] = []
    for img in t.images:
        if not 1 <= img.position <= 10 or img.position in usable:
            continue
        record = f"Type-{img.record_type}"
        try:
            tpl = extract(FingerprintImage(nist.decode_finger_pixels(img), ppi=img.ppi or 500.0), extractor)
        except ExtractionError as exc:
            unusable.append(Unusable(img.position, record, f"no usable print: {exc}"))
            continue
        except (ValueError, cv2.error) as exc:   # the image passed the rules but not the engine
            unusable.append(Unusable(img.position, record, f"cannot be processed: {exc}"[:200]))
            continue
        if tpl.quality < MIN_FINGER_QUALITY:
            unusable.append(Unusable(img.position, record, f"quality {tpl.quality} below the minimum "
                                                           f"{MIN_FINGER_QUALITY} ({len(tpl.minutiae)} minutiae)"))
            continue
        tpl.finger_position = img.position
        usable[img.position] = tpl
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
