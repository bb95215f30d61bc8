"""scomm fingerprint engine: extraction, ISO templates, 1:1 matching, 1:N tenprint search.

Stages live in one module each (SourceAFIS style); all tunables are in
:class:`scomm.biometrics.parameters.Parameters`.

    image -> segmentation -> orientation -> frequency -> enhancement
          -> skeleton -> minutiae -> quality            (extractor.extract)
    template -> mcc (cylinder codes) -> matcher.match    (1:1)
    gallery.TenprintGallery                              (1:N, fusion)
"""
from .extractor import ExtractionError, extract, quality
from .gallery import DEFAULT_RULE, Candidate, DecisionRule, TenprintGallery
from .image import FingerprintImage
from .matcher import MatchResult, match
from .parameters import DEFAULT as DEFAULT_PARAMETERS, Parameters
from .template import FingerprintTemplate, Minutia, TemplateError

__all__ = [
    "FingerprintImage", "Minutia", "FingerprintTemplate", "TemplateError",
    "extract", "ExtractionError", "quality", "match", "MatchResult",
    "TenprintGallery", "Candidate", "DecisionRule", "DEFAULT_RULE",
    "Parameters", "DEFAULT_PARAMETERS",
]
