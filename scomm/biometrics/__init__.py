"""scomm fingerprint engine: extraction, ISO templates, 1:1 matching, 1:N tenprint search.

Stages live in one module each (SourceAFIS style); all tunables are in
:class:`scomm.biometrics.parameters.Parameters`.

    image -> segmentation -> orientation -> frequency -> enhancement
          -> skeleton -> minutiae -> quality            (extractor.extract)
    image -> LEADER, a learned network on ONNX Runtime  (leader.extract)
    template -> mcc (cylinder codes) -> matcher.match    (1:1)
    gallery.TenprintGallery                              (1:N, fusion)
"""
from collections.abc import Callable

from . import leader
from .extractor import ExtractionError, extract, quality
from .gallery import DEFAULT_RULE, Candidate, DecisionRule, TenprintGallery
from .image import FingerprintImage
from .matcher import MatchResult, match
from .parameters import DEFAULT as DEFAULT_PARAMETERS, Parameters
from .template import FingerprintTemplate, Minutia, TemplateError

# the minutiae extractors by name (``--extractor``)
EXTRACTORS: dict[str, Callable[[FingerprintImage], FingerprintTemplate]] = {
    "classical": extract, "leader": leader.extract}

__all__ = [
    "EXTRACTORS",
    "FingerprintImage", "Minutia", "FingerprintTemplate", "TemplateError",
    "extract", "ExtractionError", "quality", "match", "MatchResult",
    "TenprintGallery", "Candidate", "DecisionRule", "DEFAULT_RULE",
    "Parameters", "DEFAULT_PARAMETERS",
]
