"""All tunables of the fingerprint engine in one place.

Every stage (segmentation, orientation, enhancement, minutiae, cylinder codes,
matcher, gallery) reads its constants from :class:`Parameters`.  Distances are
in pixels at 500 ppi.  ``DEFAULT`` is what the public functions use.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Parameters:
    # --- image -----------------------------------------------------------
    ppi: float = 500.0                  # internal working resolution

    # --- segmentation ----------------------------------------------------
    segment_block: int = 8              # block size for variance statistics
    segment_sigma: float = 6.0          # smoothing of the local energy map
    segment_threshold: float = 0.35     # fraction of robust max of local std
    segment_min_std: float = 6.0        # absolute floor (grey levels) for foreground
    segment_close: int = 17             # morphological closing kernel (px)
    segment_open: int = 17              # morphological opening kernel (px)
    crop_margin: int = 24               # margin kept around the mask bounding box
    border_erode: int = 14              # drop minutiae this close to mask edge

    # --- orientation -----------------------------------------------------
    orientation_sigma: float = 7.0      # Gaussian smoothing of gradient moments
    orientation_smooth: float = 5.0     # extra smoothing of doubled-angle field

    # --- ridge frequency / enhancement -------------------------------------
    ridge_period: float = 9.0           # fallback period when estimation fails
    period_min: float = 5.5
    period_max: float = 14.0
    frequency_block: int = 32
    period_scale: float = 1.0           # factor on the spectral period given to the Gabor filters
    gabor_bins: int = 16                # orientation bins for contextual Gabor
    gabor_sigma: float = 4.0
    gabor_size: int = 25
    normalize_sigma: float = 12.0       # local mean/std normalisation window

    # --- minutiae --------------------------------------------------------
    trace_length: int = 12              # ridge steps traced to get direction
    spur_length: int = 12               # ending<->bifurcation closer than this = spur
    short_ridge: int = 14               # ending<->ending closer along a ridge = noise
    bridge_length: int = 12             # bifurcation<->bifurcation = bridge
    broken_ridge_dist: float = 14.0     # facing endings closer than this = broken ridge
    cluster_dist: float = 6.0           # minutiae closer than this collapse
    min_minutia_coherence: float = 0.25
    max_minutiae: int = 120
    min_minutia_clarity: float = 0.0    # drop minutiae where the ridge clarity is lower (0 = off)
    clarity_sigma: float = 8.0          # window of the clarity (Gabor energy share) map

    # --- quality ---------------------------------------------------------
    quality_area_full: float = 60000.0  # foreground px (500 ppi) regarded as full
    quality_area_min_share: float = 0.25  # smaller foreground (share of full) lowers quality
    quality_min_minutiae: float = 12.0  # fewer minutiae lower quality

    # --- minutia cylinder code (Cappelli et al. 2010) ---------------------
    mcc_radius: float = 70.0
    mcc_ns: int = 8
    mcc_nd: int = 6
    mcc_sigma_s: float = 28.0 / 3.0
    mcc_sigma_d: float = 2.0 * math.pi / 9.0
    mcc_mu_psi: float = 0.01
    mcc_tau_psi: float = 400.0
    mcc_omega: float = 50.0             # hull dilation for cell validity
    mcc_min_valid_ratio: float = 0.6    # min matchable cells / total cells
    mcc_min_neighbours: int = 2         # cylinders with fewer are invalid
    mcc_max_direction_diff: float = math.pi / 2

    # --- global consolidation -------------------------------------------
    anchors: int = 12                   # top local pairs tried as alignment anchors
    pair_distance: float = 30.0         # max distance after alignment
    pair_angle: float = math.pi / 6     # max direction difference after alignment
    max_rotation: float = math.pi       # rotation search limit (pi = unrestricted)
    score_scale: float = 100.0

    # --- bit-vector MCC, local similarity sort (Cappelli et al. 2010) ------
    index_minutiae: int = 64            # minutiae that keep a cylinder (the most central first)
    lss_min_np: int = 4                 # n_P: how many best local similarities are averaged
    lss_max_np: int = 12
    lss_mu_p: float = 20.0
    lss_tau_p: float = 0.4
    lss_probe_cylinders: int = 12       # pre-selection compares only the most central cylinders
    lss_gallery_cylinders: int = 16

    # --- LSS-R, relaxation of the best local pairs (Cappelli et al. 2010) --------
    # a gate before the consolidation: a pair it scores below lssr_gate scores 0 unaligned
    # (`scomm bench fvc --gate`); alone, the alternative `--consolidation lssr` measures.
    # Off: the 1:1 threshold and the 1:N rule are fitted on ungated scores
    lssr_gate: float = 0.0              # 0 = every pair is consolidated
    lssr_pairs: int = 12                # n_R: best local pairs relaxed
    lssr_weight: float = 0.5            # w_R: share of its own similarity a pair keeps per step
    lssr_iterations: int = 5            # n_rel
    lssr_mu_distance: float = 5.0       # compatibility sigmoids: distance (px) ...
    lssr_tau_distance: float = -1.6
    lssr_mu_angle: float = math.pi / 12  # ... and direction difference / radial angle (rad)
    lssr_tau_angle: float = -30.0

    # --- fixed-length cylinder codes: the first pass over a large gallery (codes.py) ------
    code_cylinders: int = 8             # cylinders in a finger's code (its first, in packing order)
    code_scan_cylinders: int = 4        # of those, compared in the scan of the whole gallery
    code_probe_cylinders: int = 8       # the probe finger's cylinders compared
    code_fingers: int = 4               # the probe's best-quality fingers in the scan of every subject
    code_scan_keep: float = 0.10        # share of the gallery the scan keeps (then scored on every finger)
    code_keep: float = 0.01             # share of the gallery scored again on all the codes' cylinders
    code_np: int = 4                    # best cylinder pairs averaged
    code_max_direction_diff: float = 5 * math.pi / 16   # 56 degrees
    code_min_gallery: int = 50_000      # smaller galleries skip the codes (LSS over every subject)

    # --- gallery ---------------------------------------------------------
    prefilter_keep: int = 200           # subjects kept by the local-similarity pre-selection
    rescore_keep: int = 20              # of those, kept by the full matcher on three fingers


DEFAULT = Parameters()
