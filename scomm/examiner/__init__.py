"""What an examiner sees of an identification: the finger comparison, redrawn (SVG, PNG)."""
from .comparison import FingerComparison, NoComparison, comparison

__all__ = ["FingerComparison", "NoComparison", "comparison"]
