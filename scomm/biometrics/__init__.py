"""scomm fingerprint engine: extraction, ISO templates, 1:1 matching, 1:N tenprint search.

Stages live in one module each (SourceAFIS style); all tunables are in
:class:`scomm.biometrics.parameters.Parameters`.

    image -> LEADER, a learned network on OpenVINO or ONNX Runtime  (leader.extract: the default)
    image -> segmentation -> orientation -> frequency -> enhancement
          -> skeleton -> minutiae -> quality            (extractor.extract: "classical")
    template -> mcc (cylinder codes) -> matcher.match    (1:1)
    gallery.TenprintGallery                              (1:N, fusion)
"""
from collections.abc import Callable

from . import extractor as classical, leader
from .extractor import ExtractionError, quality
from .gallery import DEFAULT_RULE, Candidate, DecisionRule, TenprintGallery
from .image import FingerprintImage
from .matcher import MatchResult, match
from .parameters import DEFAULT as DEFAULT_PARAMETERS, Parameters
from .template import FingerprintTemplate, Minutia, TemplateError

# the minutiae extractors by name (``--extractor``, ``SCOMM_EXTRACTOR``)
EXTRACTORS: dict[str, Callable[[FingerprintImage], FingerprintTemplate]] = {
    "leader": leader.extract, "classical": classical.extract}
DEFAULT_EXTRACTOR = "leader"


def extract(image: FingerprintImage, extractor: str = DEFAULT_EXTRACTOR) -> FingerprintTemplate:
    """A minutiae template of ``image`` by the named extractor (LEADER unless told);
    raises :class:`ExtractionError` if the image is unusable."""
    return EXTRACTORS[extractor](image)

__all__ = [
    "EXTRACTORS", "DEFAULT_EXTRACTOR",
    "FingerprintImage", "Minutia", "FingerprintTemplate", "TemplateError",
    "extract", "ExtractionError", "quality", "match", "MatchResult",
    "TenprintGallery", "Candidate", "DecisionRule", "DEFAULT_RULE",
    "Parameters", "DEFAULT_PARAMETERS",
]
