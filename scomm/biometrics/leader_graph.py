"""LEADER's graph made fast: its TensorFlow-exported subgraphs fused into single ops.

As exported, the network spends about 60% of its time on one core in elementwise
ops that ONNX Runtime does not fuse (profiled at 384x288): each LayerNorm is
TensorFlow's "moments" chain (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt,
Reciprocal, four Mul, three Add) over the channel axis of an NCHW tensor, and each
GELU the tanh approximation in eight ops with two transposes inside. Here each
LayerNorm becomes ``Transpose -> LayerNormalization(axis=-1) -> Transpose`` and
each GELU ONNX Runtime's ``FastGelu`` (the same tanh approximation). Outputs agree
with the original graph to float rounding; the tests check the minutiae match.
The rewrite is done in memory at load time: the packaged file is never changed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

__all__ = ["Fused", "NmsCut", "fuse", "without_nms"]


@dataclass(frozen=True)
class Fused:
    model: onnx.ModelProto
    layer_norms: int
    gelus: int
    upsamplings: int


@dataclass(frozen=True)
class NmsCut:
    """The graph without its non-maximum suppression, and what that step needs."""
    model: onnx.ModelProto      # outputs the first three channels: position, direction, type
    blur: np.ndarray            # the Gaussian kernel applied to the position map
    pool: int                   # the max-pooling window


class _Graph:
    def __init__(self, g: onnx.GraphProto):
        self.g = g
        self.consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.producer = {o: n for n in g.node for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for n in g.node:
            for name in dict.fromkeys(n.input):
                self.consumers[name].append(n)

    def only(self, name: str, op: str) -> onnx.NodeProto | None:
        """The single consumer of ``name``, if it is an ``op``."""
        c = self.consumers[name]
        return c[0] if len(c) == 1 and c[0].op_type == op else None

    def const(self, name: str) -> np.ndarray | None:
        return self.consts.get(name)

    def variable(self, n: onnx.NodeProto) -> str:
        """The one input of ``n`` that is not a constant."""
        [v] = [i for i in n.input if i not in self.consts]
        return v


def _other(n: onnx.NodeProto, name: str) -> str:
    a, b = n.input
    return b if a == name else a


def _gelu(gr: _Graph, tanh: onnx.NodeProto, k: int) -> tuple[onnx.NodeProto, list[onnx.NodeProto]] | None:
    """0.5 x (1 + tanh(0.7978846 (x + 0.044715 x^3))), ending in ``fin``."""
    add1 = gr.only(tanh.output[0], "Add")
    fin = add1 and gr.only(add1.output[0], "Mul")
    if add1 is None or fin is None:
        return None
    half = gr.producer.get(_other(fin, add1.output[0]))
    inner = gr.producer.get(gr.variable(gr.producer[tanh.input[0]]))
    if half is None or inner is None or half.op_type != "Mul" or inner.op_type != "Add":
        return None
    x = gr.variable(half)
    if x not in inner.input:
        return None
    return fin, [helper.make_node("FastGelu", [x], list(fin.output), domain="com.microsoft",
                                  name=f"leader_fused_gelu_{k}")]


def _layer_norm(gr: _Graph, mean: onnx.NodeProto, k: int) -> tuple[onnx.NodeProto, list[onnx.NodeProto]] | None:
    """(x - mean) / sqrt(var + eps) * gamma + beta over axis 1, ending in ``y``."""
    x = mean.input[0]
    subs = [c for c in gr.consumers[x] if c.op_type == "Sub"]
    if len(subs) != 1:
        return None
    chain, name = [], subs[0].output[0]
    for op in ("Mul", "ReduceMean", "Add", "Sqrt", "Reciprocal", "Mul"):
        node = gr.only(name, op)
        if node is None:
            return None
        chain.append(node)
        name = node.output[0]
    _, var, add_eps, _, rec, scale = chain
    eps, gamma = gr.const(_other(add_eps, var.output[0])), gr.const(_other(scale, rec.output[0]))
    x_mul = [c for c in gr.consumers[scale.output[0]] if x in c.input]
    if len(x_mul) != 1 or eps is None or gamma is None:
        return None
    y = gr.only(x_mul[0].output[0], "Add")
    shift = gr.producer.get(_other(y, x_mul[0].output[0])) if y is not None else None
    beta = next((b for i in shift.input if (b := gr.const(i)) is not None), None) if shift else None
    if y is None or beta is None:
        return None
    names = [f"leader_fused_ln_{k}_{s}" for s in ("scale", "bias", "nhwc", "out")]
    c = gamma.size
    gr.g.initializer.extend([numpy_helper.from_array(gamma.reshape(c).astype(np.float32), names[0]),
                             numpy_helper.from_array(beta.reshape(c).astype(np.float32), names[1])])
    return y, [helper.make_node("Transpose", [x], [names[2]], perm=[0, 2, 3, 1]),
               helper.make_node("LayerNormalization", [names[2], names[0], names[1]], [names[3]],
                                axis=-1, epsilon=float(eps.ravel()[0])),
               helper.make_node("Transpose", [names[3]], list(y.output), perm=[0, 3, 1, 2])]


def _upsampling(gr: _Graph, tile: onnx.NodeProto, k: int) -> tuple[onnx.NodeProto, list[onnx.NodeProto]] | None:
    """TensorFlow's ``Repeat`` twice (rows, then columns: a nearest-neighbour x2 of an NCHW
    tensor, given out as NHWC) in about 30 shape ops and two Tiles, as one ``Resize``."""
    prefix, _, rest = tile.name.rpartition("/Repeat/")
    if rest != "Tile":
        return None
    expand = gr.producer.get(tile.input[0])
    last = next((n for n in gr.g.node if n.name == f"{prefix}/Repeat_1/Reshape_1"), None)
    if expand is None or expand.op_type != "Unsqueeze" or last is None:
        return None
    names = [f"leader_fused_up_{k}_{s}" for s in ("scales", "nchw")]
    gr.g.initializer.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), names[0]))
    return last, [helper.make_node("Resize", [expand.input[0], "", names[0]], [names[1]], mode="nearest",
                                   nearest_mode="floor", coordinate_transformation_mode="asymmetric"),
                  helper.make_node("Transpose", [names[1]], list(last.output), perm=[0, 2, 3, 1])]


def fuse(model: onnx.ModelProto) -> Fused:
    """The model with every LayerNorm and GELU subgraph it holds fused (a copy)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    gr = _Graph(m.graph)
    # keyed by the replaced node's output: a name is unique in a graph, a protobuf
    # wrapper's identity need not be stable
    swaps: dict[str, list[onnx.NodeProto]] = {}
    gelus = lns = ups = 0
    for n in list(m.graph.node):
        if n.op_type == "Tanh" and (hit := _gelu(gr, n, gelus)):
            swaps[hit[0].output[0]], gelus = hit[1], gelus + 1
        elif n.op_type == "ReduceMean" and (hit := _layer_norm(gr, n, lns)):
            swaps[hit[0].output[0]], lns = hit[1], lns + 1
        elif n.op_type == "Tile" and (hit := _upsampling(gr, n, ups)):
            swaps[hit[0].output[0]], ups = hit[1], ups + 1
    nodes = [new for n in m.graph.node for new in swaps.get(n.output[0], [n])]
    del m.graph.node[:]
    m.graph.node.extend(_live(nodes, {o.name for o in m.graph.output}))
    _drop_unread(m)
    if gelus and not any(op.domain == "com.microsoft" for op in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return Fused(m, lns, gelus, ups)


def _live(nodes: list[onnx.NodeProto], outputs: set[str]) -> list[onnx.NodeProto]:
    """The nodes something still reads (the replaced chains drop out)."""
    while True:
        read = {i for n in nodes for i in n.input} | outputs
        kept = [n for n in nodes if any(o in read for o in n.output)]
        if len(kept) == len(nodes):
            return kept
        nodes = kept


def without_nms(model: onnx.ModelProto) -> NmsCut:
    """The model with its last output channel (the NMS'd confidence) dropped, and the
    blur kernel and pooling window of that step, read from the graph (a copy)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    gr = _Graph(m.graph)
    [concat] = [n for n in m.graph.node if n.op_type == "Concat" and n.name.endswith("head_conc_1/concat")]
    [blur] = [n for n in m.graph.node if n.op_type == "Conv" and n.name.endswith("Gaussian_blur_1/convolution")]
    [pool] = [n for n in m.graph.node if n.op_type == "MaxPool" and "nms" in n.name]
    kernel = gr.const(blur.input[1])
    if kernel is None:
        raise ValueError("LEADER's NMS blur has no constant kernel")
    size = helper.get_attribute_value(next(a for a in pool.attribute if a.name == "kernel_shape"))
    del concat.input[3]
    m.graph.output[0].type.tensor_type.shape.dim[-1].dim_value = 3
    nodes = _live(list(m.graph.node), {o.name for o in m.graph.output})
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    _drop_unread(m)
    return NmsCut(m, kernel[0, 0].astype(np.float32), int(size[0]))


def _drop_unread(m: onnx.ModelProto) -> None:
    read = {i for n in m.graph.node for i in n.input}
    kept = [i for i in m.graph.initializer if i.name in read]
    del m.graph.initializer[:]
    m.graph.initializer.extend(kept)
