"""Where LEADER's graph runs: ONNX Runtime in float32, or OpenVINO in bfloat16.

``SCOMM_LEADER_RUNTIME`` chooses: ``onnxruntime`` (float32, any image size, a GPU
when ONNX Runtime has one), ``openvino-bf16`` (bfloat16 on the CPU's own bf16
units: AMX or AVX512-BF16), ``openvino-f32``, or ``auto`` (the default: ONNX
Runtime). On this project's machine bf16 extracts 1.7 times faster at the same EER
once warm (README, ``scomm bench fvc``), but a cold process pays 0.5 s for every
new image size: the demo takes 4 min 33 s in bf16 against 3 min 58 s in float32.
So bf16 is for a long-lived hub on such a CPU, and only when asked for.

OpenVINO compiles a network per input shape (its CPU plugin rejects LEADER with
dynamic shapes), about half a second each, one thread, not pinned to a core
(OpenVINO's default pins it: two worker processes then extracted at 0.23 s of wall
time per finger instead of 0.15). Each process keeps the last sizes it met
(padded to a multiple of 32, as for ONNX Runtime: a wider padding would change
what the network sees near the edges, and FVC2004 DB1_B's EER with it, 1.43 to
1.76%, in exchange for fewer compilations). The graph's last step,
non-maximum suppression, compares a blurred map with its max-pooling: in bf16,
neighbours round to equal values and twice the minutiae survive, so OpenVINO runs
the graph without it and :func:`suppress` does it in float32, as the graph does.
Only OpenVINO's runtime is used (``read_model``, ``compile_model``): its telemetry
lives in the model converter, which is never called.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from scipy import ndimage

if TYPE_CHECKING:  # the graph tools import onnx: only when a network is built
    from .leader_graph import NmsCut

RUNTIMES = ("auto", "onnxruntime", "openvino-bf16", "openvino-f32")


class Runtime(Protocol):
    name: str           # what ran, for provenance: "onnxruntime f32", "openvino bf16"
    providers: list[str]

    def run(self, padded: np.ndarray) -> np.ndarray:
        """(H, W) grey image -> (H, W, 4) output: position, direction, type, NMS'd confidence."""
        ...


class OnnxRuntime:
    """The whole graph, NMS included, float32, one thread (a process uses one core)."""

    def __init__(self, model: bytes):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model, options, providers=_ort_providers(ort))
        self.name = "onnxruntime f32"
        self.providers = list(self.session.get_providers())

    def run(self, padded: np.ndarray) -> np.ndarray:
        out = self.session.run(None, {"input": padded[np.newaxis, ..., np.newaxis].astype(np.float32)})[0][0]
        return np.asarray(out)


class OpenVino:
    """The graph without its NMS, compiled once per padded size; the last ``KEEP`` sizes
    are kept (each holds some 35 MB). Thread-safe: a request per call (0.2 ms)."""
    KEEP = 16

    def __init__(self, cut: NmsCut, precision: str):
        import openvino as ov

        self.core = ov.Core()
        self.base = self.core.read_model(cut.model.SerializeToString())
        self.cut, self.precision = cut, precision
        self.name = f"openvino {precision}"
        self.providers = ["CPU"]
        self._compiled: OrderedDict[tuple[int, int], Any] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, padded: np.ndarray) -> np.ndarray:
        request = self._compiled_for(padded.shape).create_infer_request()
        out = request.infer({0: padded[np.newaxis, ..., np.newaxis].astype(np.float32)})[0][0]
        out = np.asarray(out, np.float32)
        return np.concatenate([out, suppress(out[..., 0], self.cut)[..., np.newaxis]], axis=-1)

    def _compiled_for(self, shape: tuple[int, int]) -> Any:
        with self._lock:
            if shape in self._compiled:
                self._compiled.move_to_end(shape)
                return self._compiled[shape]
            m = self.base.clone()
            m.reshape({m.inputs[0].any_name: [1, *shape, 1]})
            self._compiled[shape] = self.core.compile_model(m, "CPU", {
                "INFERENCE_NUM_THREADS": 1, "ENABLE_CPU_PINNING": False, "INFERENCE_PRECISION_HINT": self.precision,
                "PERFORMANCE_HINT": "LATENCY"})
            if len(self._compiled) > self.KEEP:
                self._compiled.popitem(last=False)
            return self._compiled[shape]


def suppress(position: np.ndarray, cut: NmsCut) -> np.ndarray:
    """The graph's NMS in float32: the blurred position map where it is its own
    neighbourhood's maximum, else 0 (zero padding for the blur, none for the pool)."""
    blur = ndimage.correlate(position.astype(np.float32), cut.blur, mode="constant", cval=0.0)
    peak = ndimage.maximum_filter(blur, size=cut.pool, mode="constant", cval=-np.inf)
    return np.where(blur == peak, peak, np.float32(0.0))


@dataclass(frozen=True)
class Choice:
    runtime: str
    reason: str


def choose(wanted: str | None = None) -> Choice:
    """The runtime to use: ``wanted``, else ``SCOMM_LEADER_RUNTIME``, else ``auto``
    (ONNX Runtime: no compilation per image size, the same minutiae on every CPU)."""
    wanted = wanted or os.environ.get("SCOMM_LEADER_RUNTIME", "auto")
    if wanted not in RUNTIMES:
        raise ValueError(f"SCOMM_LEADER_RUNTIME must be one of {', '.join(RUNTIMES)}")
    if wanted != "auto":
        return Choice(wanted, "asked for")
    return Choice("onnxruntime", "the default (" + ("with a GPU" if _ort_gpu() else "float32 on the CPU") + ")")


def build(model: bytes, runtime: str) -> Runtime:
    """A runtime over the (fused) network ``model``."""
    if runtime == "onnxruntime":
        return OnnxRuntime(model)
    import onnx

    from .leader_graph import without_nms

    return OpenVino(without_nms(onnx.load_from_string(model)), runtime.removeprefix("openvino-"))


def _ort_providers(ort: Any) -> list[str]:
    """A GPU when ONNX Runtime has one, else the CPU."""
    wanted = ("CUDAExecutionProvider", "ROCMExecutionProvider", "CPUExecutionProvider")
    available = set(ort.get_available_providers())
    return [p for p in wanted if p in available]


def _ort_gpu() -> bool:
    import onnxruntime as ort

    return _ort_providers(ort)[0] != "CPUExecutionProvider"


def native_bf16() -> bool:
    """Whether this CPU computes bf16 itself (else OpenVINO's bf16 runs as float32)."""
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
