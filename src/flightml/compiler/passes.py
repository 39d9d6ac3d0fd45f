"""ONNX (QDQ or QOperator) -> Graph of layers, then fusions.

`lower` folds every DequantizeLinear -> op -> QuantizeLinear group into one layer (constants via
DequantizeLinear of an initializer become QConst), fuses a Relu/Clip between the op and its
QuantizeLinear into the requantization clamp, turns view ops into aliases, and maps QOperator nodes
(QLinearConv, QLinearMatMul, QGemm) onto the same op modules. Anything else raises one InputError
naming the node, its op type and the reason. `fuse_conv_maxpool` then merges Conv + MaxPool.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from flightml.compiler import limits, qparams
from flightml.compiler.ir import Graph, Layer, QConst, QTensor
from flightml.compiler.ops import BY_ONNX, QLINEAR, conv_maxpool, transpose
from flightml.compiler.ops.common import Input, NodeIn, node_label
from flightml.errors import InputError
from flightml.onnx_io import check_opset, load_model_bytes

ACTIVATIONS = ("Relu", "Clip")
WEIGHTED = ("QLinearConv", "QLinearMatMul", "QGemm")  # QOperator ops with constant weights (and a bias)
INT_TYPES = {onnx.TensorProto.INT8: False, onnx.TensorProto.UINT8: True}
# ops that only move an integer graph input's bytes (looked through to find its DequantizeLinear)
LAYOUT_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "MaxPool")
# QOperator ops whose input 0 is followed by its scale and zero point (inputs 1 and 2)
QTRIPLES_AT_0 = tuple(q for q, spec in QLINEAR.items() if spec.triples[:1] == (0,))


def load_model(path: Path) -> tuple[onnx.ModelProto, str]:
    """(model, sha256 of the file bytes); InputError when the file is missing or not ONNX."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: model file not found")
    data = path.read_bytes()
    model = load_model_bytes(path, data)
    check_opset(path, model)
    return model, hashlib.sha256(data).hexdigest()


class _Lowering:
    def __init__(self, model: onnx.ModelProto, mode: str, max_elements: int) -> None:
        self.g = model.graph
        self.mode = mode
        self.max_elements = max_elements
        self.notes: list[str] = []
        self.inits = {i.name: numpy_helper.to_array(i) for i in self.g.initializer}
        for node in self.g.node:
            if node.op_type == "Constant" and node.attribute:
                self.inits[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        self.producer: dict[str, onnx.NodeProto] = {}
        for node in self.g.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
            self.producer.update((name, node) for name in node.output)
        self.qt: dict[str, QTensor] = {}
        self.fview: dict[str, str] = {}
        self.qconst: dict[str, QConst] = {}
        self.padded: dict[str, tuple[str, list[int]]] = {}  # Pad output -> (source tensor, spatial pads)
        self.alias: dict[str, str] = {}
        self.layers: list[Layer] = []
        self.done: set[int] = set()
        inputs = [i for i in self.g.input if i.name not in self.inits]
        if len(inputs) != 1 or len(self.g.output) != 1:
            raise InputError(
                f"model: expected exactly one input and one output, got {len(inputs)} and {len(self.g.output)}"
            )
        self.graph_input = inputs[0]
        self.input_name = ""

    def where(self, node: onnx.NodeProto) -> str:
        return node_label(node)

    def scalar(self, node: onnx.NodeProto, name: str, what: str) -> np.ndarray:
        if name not in self.inits or self.inits[name].size != 1:
            raise InputError(f"{self.where(node)}: {what} must be a scalar initializer")
        return self.inits[name].ravel()

    def qtensor(
        self, node: onnx.NodeProto, name: str, scale_name: str, zp_name: str, shape: tuple[int, ...]
    ) -> QTensor:
        scale = float(np.float32(self.scalar(node, scale_name, "activation scale")[0]))
        zp_arr = self.scalar(node, zp_name, "activation zero point") if zp_name else np.zeros(1, np.uint8)
        if zp_arr.dtype not in (np.int8, np.uint8):
            raise InputError(f"{self.where(node)}: activations must be int8 or uint8, got {zp_arr.dtype}")
        if not (scale > 0 and np.isfinite(scale)):
            raise InputError(f"{self.where(node)}: activation scale must be finite and > 0, got {scale}")
        unsigned = zp_arr.dtype == np.uint8
        return QTensor(name, shape, scale, int(zp_arr[0]) - (128 if unsigned else 0), unsigned)

    def input_shape(self) -> tuple[int, ...]:
        """The graph input's static shape; a symbolic (or unknown) batch dimension is taken as 1 and noted."""
        name = self.graph_input.name
        dims: list[object] = []
        for i, d in enumerate(self.graph_input.type.tensor_type.shape.dim):
            kind = d.WhichOneof("value")
            if i == 0 and kind != "dim_value":
                note = f"input '{name}': symbolic batch dimension '{d.dim_param or '?'}' taken as 1"
                if note not in self.notes:
                    self.notes.append(note)
                dims.append(1)
            else:
                dims.append(d.dim_value if kind == "dim_value" else d.dim_param or None)
        if not dims:
            raise InputError(f"input '{name}': needs a static shape (batch may be symbolic)")
        return limits.check_shape(f"input '{name}'", "the input", dims, self.max_elements)

    def start(self) -> None:
        """The quantized model input: QuantizeLinear of the float input, or an int8/uint8 input."""
        name = self.graph_input.name
        elem = self.graph_input.type.tensor_type.elem_type
        if elem in INT_TYPES:
            self.input_name = name
            scale, zp, node = self.input_qparams(name)
            self.qt[name] = self.qtensor(node, name, scale, zp, self.input_shape())
            if self.qt[name].unsigned != INT_TYPES[elem]:
                raise InputError(f"input '{name}': its DequantizeLinear zero point type differs from the input type")
            return
        users = self.consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != "QuantizeLinear":
            raise InputError(f"input '{name}': must feed exactly one QuantizeLinear")
        q = users[0]
        self.done.add(id(q))
        zp = q.input[2] if len(q.input) > 2 else ""
        self.input_name = q.output[0]
        self.qt[q.output[0]] = self.qtensor(q, q.output[0], q.input[1], zp, self.input_shape())

    def input_qparams(self, name: str) -> tuple[str, str, onnx.NodeProto]:
        """(scale name, zero point name, node) of an int8/uint8 graph input: from the DequantizeLinear (or
        QOperator node) that reads it, possibly through layout-only ops; all readers must agree."""
        readers: list[onnx.NodeProto] = []
        todo = [name]
        while todo:
            tensor = todo.pop()
            for user in self.consumers.get(tensor, []):
                if user.op_type in LAYOUT_OPS and user.input[0] == tensor:
                    todo.append(user.output[0])
                elif user.op_type == "DequantizeLinear" or (user.op_type in QTRIPLES_AT_0 and user.input[0] == tensor):
                    readers.append(user)
        pairs = {(r.input[1], r.input[2] if len(r.input) > 2 else "") for r in readers}
        values = {tuple(self.inits[k].tobytes() if k in self.inits else k for k in pair) for pair in pairs}
        if len(values) != 1:
            why = "no DequantizeLinear reads it" if not values else "its readers disagree on scale and zero point"
            raise InputError(
                f"input '{name}': int8/uint8 input whose scale and zero point cannot be determined ({why})"
            )
        scale, zp = sorted(pairs)[0]
        return scale, zp, readers[0]

    def activation(self, node: onnx.NodeProto, name: str, scale: str = "", zp: str = "") -> QTensor:
        name = self.fview.get(name, name)
        if name in self.qt:
            return self.qt[name]
        raise InputError(f"{self.where(node)}: input '{name}' is not a quantized activation")

    def dequantize(self, node: onnx.NodeProto) -> None:
        src = node.input[0]
        if src in self.inits:
            zp = self.inits[node.input[2]] if len(node.input) > 2 and node.input[2] else np.zeros(1, np.int8)
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            self.qconst[node.output[0]] = QConst(self.inits[src], self.inits[node.input[1]], zp, axis)
        else:
            x = self.activation(node, src)
            read = self.qtensor(node, x.name, node.input[1], node.input[2] if len(node.input) > 2 else "", x.shape)
            if (read.scale, read.zp, read.unsigned) != (x.scale, x.zp, x.unsigned):
                raise InputError(
                    f"{self.where(node)}: dequantizes '{src}' with scale {read.scale!r}, zero point {read.zp} "
                    f"but it holds scale {x.scale!r}, zero point {x.zp}"
                )
            self.fview[node.output[0]] = x.name

    def node_input(self, node: onnx.NodeProto, name: str) -> Input:
        if not name:
            return None
        if name in self.qconst:
            return self.qconst[name]
        if name in self.inits:
            return self.inits[name]
        return self.activation(node, name)

    def bias_add(self, node: onnx.NodeProto) -> tuple[onnx.NodeProto, QConst] | None:
        """(Add, int32 bias) when MatMul `node` feeds only an Add of a dequantized int32 constant (a fully
        connected layer as converters write it, MatMul + Add(bias) before the QuantizeLinear)."""
        users = self.consumers.get(node.output[0], [])
        if node.op_type != "MatMul" or len(users) != 1 or users[0].op_type != "Add":
            return None
        add = users[0]
        other = [name for name in add.input if name != node.output[0]]
        dq = self.producer.get(other[0]) if len(other) == 1 else None
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in self.inits:
            return None
        if self.inits[dq.input[0]].dtype != np.int32:
            return None
        zp = self.inits[dq.input[2]] if len(dq.input) > 2 and dq.input[2] else np.zeros(1, np.int32)
        return add, QConst(self.inits[dq.input[0]], self.inits[dq.input[1]], zp, 0)

    def checked_bias(self, node: onnx.NodeProto, inputs: list[Input], bias: QConst) -> QConst:
        """The fused bias, whose scale must be s_in * s_w (float32) per output and zero point 0."""
        x, w = inputs[0], inputs[1] if len(inputs) > 1 else None
        if not isinstance(x, QTensor) or not isinstance(w, QConst):
            raise InputError(f"{self.where(node)}: MatMul + Add(bias) needs a quantized input and constant weights")
        expected = qparams.ort_scale(x.scale, np.asarray(w.scale, np.float32).ravel(), 1.0)
        got = np.asarray(bias.scale, np.float32).ravel()
        if got.size not in (1, expected.size) or not np.allclose(got, expected, rtol=1e-6, atol=0):
            raise InputError(f"{self.where(node)}: the Add's bias scale must be input scale x weight scale")
        return bias

    def requantized_output(self, node: onnx.NodeProto) -> tuple[QTensor, int, int]:
        """The QuantizeLinear after `node` (possibly through one Relu/Clip) -> (tensor, act_min, act_max)."""
        users = self.consumers.get(node.output[0], [])
        act: onnx.NodeProto | None = None
        if len(users) == 1 and users[0].op_type in ACTIVATIONS:
            act = users[0]
            users = self.consumers.get(act.output[0], [])
        if len(users) != 1 or users[0].op_type != "QuantizeLinear":
            raise InputError(f"{self.where(node)}: output is not requantized by exactly one QuantizeLinear")
        q = users[0]
        self.done.add(id(q))
        out = self.qtensor(q, q.output[0], q.input[1], q.input[2] if len(q.input) > 2 else "", ())
        lo, hi = -128, 127
        if act is not None:
            self.done.add(id(act))
            lo, hi = self.clamp(act, out)
        return out, lo, hi

    def clamp(self, act: onnx.NodeProto, out: QTensor) -> tuple[int, int]:
        lo, hi = max(-128, out.zp), 127
        if act.op_type == "Clip":
            bounds = [a.f for a in act.attribute if a.name in ("min", "max")]
            vals = [self.inits.get(n) if n else None for n in list(act.input[1:3])]
            if bounds or any(n and n not in self.inits for n in act.input[1:3]):
                raise InputError(f"{self.where(act)}: Clip bounds must be constant inputs (opset >= 11)")
            lo = -128 if vals[0] is None else int(qparams.quantize_float(vals[0].ravel()[0], out.scale, out.zp))
            hi = (
                127
                if len(vals) < 2 or vals[1] is None
                else int(qparams.quantize_float(vals[1].ravel()[0], out.scale, out.zp))
            )
        return lo, hi

    def triple(self, node: onnx.NodeProto, ins: list[str], i: int) -> Input:
        """QOperator input (tensor, scale, zero point) at ins[i:i + 3]: an activation or a constant."""
        if ins[i] in self.inits:
            zp = self.inits[ins[i + 2]] if ins[i + 2] else np.zeros(1, self.inits[ins[i]].dtype)
            return QConst(self.inits[ins[i]], self.scalar(node, ins[i + 1], "scale"), zp)
        return self.activation(node, ins[i], ins[i + 1], ins[i + 2])

    def qoperator_simple(self, node: onnx.NodeProto) -> NodeIn:
        """A QOperator op whose inputs are all triples (ops.QLINEAR: QLinearAdd, QLinearConcat, ...) -> NodeIn."""
        spec = QLINEAR[node.op_type]
        ins = list(node.input) + [""] * 9
        if any(a.name in ("channels_last", "nchw") and a.i != (a.name == "nchw") for a in node.attribute):
            raise InputError(f"{self.where(node)}: only NCHW layout is supported")
        positions = spec.triples or range(spec.out_scale + 2, len(node.input), 3)
        inputs = [self.triple(node, ins, i) for i in positions]
        out = self.qtensor(node, node.output[0], ins[spec.out_scale], ins[spec.out_scale + 1], ())
        return NodeIn(node, inputs, out, -128, 127, spec.op)

    def qoperator(self, node: onnx.NodeProto) -> NodeIn:
        """QLinearConv / QLinearMatMul / QGemm (else qoperator_simple) -> the NodeIn of the equivalent float op."""
        if node.op_type not in WEIGHTED:
            return self.qoperator_simple(node)
        ins = list(node.input) + [""] * (9 - len(node.input))
        x = self.activation(node, ins[0], ins[1], ins[2])
        w_src, ws, wz = ins[3], ins[4], ins[5]
        if w_src not in self.inits or ws not in self.inits:
            raise InputError(f"{self.where(node)}: weights and their scale must be initializers")
        wzp = self.inits[wz] if wz else np.zeros(1, self.inits[w_src].dtype)
        axis = 0 if node.op_type in ("QLinearConv", "QGemm") else 1
        inputs: list[Input] = [x, QConst(self.inits[w_src], self.inits[ws], wzp, axis)]
        if node.op_type == "QLinearConv":
            inputs.append(self.inits.get(ins[8]) if ins[8] else None)
        elif node.op_type == "QGemm":
            inputs.append(self.inits.get(ins[6]) if ins[6] else None)
        spec = QLINEAR[node.op_type]
        ys, yz = ins[spec.out_scale], ins[spec.out_scale + 1]
        if not ys:
            raise InputError(f"{self.where(node)}: {node.op_type} with a float output is not supported")
        out = self.qtensor(node, node.output[0], ys, yz, ())
        return NodeIn(node, inputs, out, -128, 127, spec.op)

    def pad(self, node: onnx.NodeProto) -> None:
        """A constant zero Pad of the spatial dimensions, recorded to be folded into the Conv that reads it."""
        x = self.activation(node, node.input[0])
        mode = next((a.s.decode() for a in node.attribute if a.name == "mode"), "constant")
        pads = self.inits.get(node.input[1]) if len(node.input) > 1 else None
        if pads is None:
            pads = np.array(next((a.ints for a in node.attribute if a.name == "pads"), []), dtype=np.int64)
        rank = len(x.shape)
        value = self.inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        zero = 0.0 if node.input[0] in self.fview else x.zp  # float path pads with real 0, int8 path with zp
        if (
            mode != "constant"
            or pads.size != 2 * rank
            or np.any(pads < 0)
            or np.any(pads[[0, 1, rank, rank + 1]] != 0)
            or (value is not None and float(np.asarray(value).ravel()[0]) != zero)
            or (len(node.input) > 3 and node.input[3])
        ):
            raise InputError(
                f"{self.where(node)}: only a constant zero Pad of the spatial dimensions (folded into the "
                "following Conv) is supported"
            )
        out = node.output[0]
        users = self.consumers.get(out, [])
        if node.input[0] in self.fview and len(users) == 1 and users[0].op_type == "QuantizeLinear":
            q = users[0]
            self.done.add(id(q))
            read = self.qtensor(q, q.output[0], q.input[1], q.input[2] if len(q.input) > 2 else "", ())
            if (read.scale, read.zp) != (x.scale, x.zp):
                raise InputError(f"{self.where(node)}: a Pad must keep its input's quantization")
            out = q.output[0]
        spatial = [int(p) for p in pads[2:rank]] + [int(p) for p in pads[rank + 2 :]]
        self.qt[out] = dataclasses.replace(x, name=out)
        self.fview.setdefault(node.output[0], out)
        self.padded[out] = (x.name, spatial)

    def fold_pad(self, node: onnx.NodeProto, inputs: list[Input]) -> onnx.NodeProto:
        """`node` (a Conv reading a recorded Pad) with the Pad added to its pads and its input unpadded."""
        x = inputs[0]
        if not isinstance(x, QTensor) or x.name not in self.padded:
            return node
        src, spatial = self.padded[x.name]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise InputError(f"{self.where(node)}: cannot fold a Pad into a Conv with auto_pad")
        pads = list(attrs.get("pads", [0] * len(spatial)))
        folded = onnx.NodeProto()
        folded.CopyFrom(node)
        del folded.attribute[:]
        for name, value in attrs.items():
            if name != "pads":
                folded.attribute.append(onnx.helper.make_attribute(name, value))
        folded.attribute.append(onnx.helper.make_attribute("pads", [p + q for p, q in zip(pads, spatial, strict=True)]))
        inputs[0] = self.qt[src]
        return folded

    def compute(self, node: onnx.NodeProto) -> None:
        op = QLINEAR[node.op_type].op if node.op_type in QLINEAR else node.op_type
        module = BY_ONNX.get(op)
        if module is None:
            raise InputError(f"{self.where(node)}: op type '{node.op_type}' is not supported by the compiler")
        if node.op_type in QLINEAR:
            n = self.qoperator(node)
        else:
            inputs = [self.node_input(node, name) for name in node.input]
            if op == "Conv":
                node = self.fold_pad(node, inputs)
            if any(isinstance(i, QTensor) and i.name in self.padded for i in inputs):
                raise InputError(f"{self.where(node)}: reads a Pad output; a Pad must feed a Conv")
            x = inputs[0] if inputs else None
            fused = self.bias_add(node)
            if fused is not None:
                self.done.add(id(fused[0]))
                inputs.append(self.checked_bias(node, inputs, fused[1]))
            if isinstance(x, QTensor) and node.input[0] not in self.fview:
                out, lo, hi = QTensor(node.output[0], (), x.scale, x.zp, x.unsigned), -128, 127
            else:
                out, lo, hi = self.requantized_output(fused[0] if fused else node)
            n = NodeIn(node, inputs, out, lo, hi)
        view = module.view_shape(n) if module.KIND == "view" else transpose.as_view(n) if module is transpose else None
        if view is not None:
            self.qt[n.out.name] = dataclasses.replace(n.out, shape=view)
            self.alias[n.out.name] = n.act(0).name
            return
        layer = module.resolve(n, self.mode)
        limits.check_shape(n.where, f"output '{n.out.name}'", layer.out_shape, self.max_elements)
        self.qt[n.out.name] = dataclasses.replace(n.out, shape=tuple(int(d) for d in layer.out_shape))
        self.layers.append(layer)

    def run(self) -> tuple[str, str]:
        self.start()
        for node in self.g.node:
            if id(node) in self.done or node.op_type == "Constant":
                continue
            if node.op_type == "DequantizeLinear":
                self.dequantize(node)
            elif node.op_type == "QuantizeLinear":
                raise InputError(f"{self.where(node)}: QuantizeLinear of a tensor that no supported op produces")
            elif node.op_type == "Pad":
                self.pad(node)
            elif node.op_type in ACTIVATIONS:
                raise InputError(f"{self.where(node)}: {node.op_type} must directly follow Conv, Gemm or MatMul")
            else:
                self.compute(node)
        out = self.g.output[0].name
        src = self.fview.get(out, out)
        if src not in self.qt or src in self.padded:
            raise InputError(f"output '{out}': must be a quantized tensor or its DequantizeLinear")
        if not self.layers:
            raise InputError("model: contains no compute layer")
        return self.input_name, src


def lower(model: onnx.ModelProto, sha256: str, mode: str, max_elements: int = limits.DEFAULT_MAX_ELEMENTS) -> Graph:
    """The Graph of a quantized ONNX model for requant `mode` (one of qparams.MODES); every tensor holds at
    most `max_elements` values."""
    if mode not in qparams.MODES:
        raise InputError(f"--requant: expected one of {', '.join(qparams.MODES)}, got {mode!r}")
    low = _Lowering(model, mode, max_elements)
    inp, out = low.run()
    graph = Graph(low.qt, low.layers, inp, out, mode, sha256, low.alias, low.notes)
    graph = fuse_conv_maxpool(graph)
    for i, layer in enumerate(graph.layers):
        layer.index = i
    return graph


def fuse_conv_maxpool(graph: Graph) -> Graph:
    """Merge a conv whose output feeds only a MaxPool into one conv_maxpool layer."""
    readers: dict[str, int] = {}
    for layer in graph.layers:
        for name in layer.inputs:
            readers[graph.storage(name)] = readers.get(graph.storage(name), 0) + 1
    fused: list[Layer] = []
    for layer in graph.layers:
        prev = fused[-1] if fused else None
        if (
            layer.kind == "maxpool"
            and prev is not None
            and prev.kind == "conv"
            and graph.storage(layer.inputs[0]) == prev.output
            and readers.get(prev.output) == 1
            and prev.output != graph.storage(graph.output)
        ):
            fused[-1] = conv_maxpool.fuse(prev, layer)
            graph.tensors.pop(prev.output, None)
        else:
            fused.append(layer)
    graph.layers = fused
    return graph
