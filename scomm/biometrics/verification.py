"""1:1 decisions: one finger against one finger, at a threshold whose false match rate is known.

A finger score means nothing alone: its scale depends on the extractor. Each
extractor has a threshold fitted on synthetic prints (never on the FVC folders the
bench reports) for a false match rate of 1 in 10,000; ``scomm bench fvc`` prints
what that threshold gives on each real sensor, so a user knows what a score means.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Verification", "VERIFICATION", "for_provenance"]


@dataclass(frozen=True)
class Verification:
    threshold: float
    fmr: float            # the false match rate it was fitted for
    source: str           # what it was fitted on

    def decide(self, score: float) -> bool:
        return score >= self.threshold

    def describe(self) -> str:
        return f"1:1 match at score >= {self.threshold:.2f} (FMR {self.fmr:g}, fitted on {self.source})"


# Fitted by ``scomm bench calibrate --extractor NAME`` (docs/bench/calibrate-NAME.json).
VERIFICATION: dict[str, Verification] = {
    # float32 on ONNX Runtime (the default); bf16 on OpenVINO fits 9.344 (calibrate-leader-openvino-bf16.json)
    "leader": Verification(9.353, 1e-4, "100 synthetic people's ten fingers, two captures each: "
                                        "990,000 impostor comparisons (FNMR there 0%)"),
    "classical": Verification(10.323, 1e-4, "100 synthetic people's ten fingers, two captures each: "
                                            "990,000 impostor comparisons (FNMR there 0%)"),
}


def for_provenance(provenance: str) -> Verification:
    """The threshold of the extractor a template says made it (the classical one if unsaid)."""
    return VERIFICATION["leader" if provenance.startswith("LEADER") else "classical"]
