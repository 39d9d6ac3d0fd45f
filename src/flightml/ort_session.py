"""ONNX Runtime sessions, and what ONNX Runtime's int8 kernels do on this host.

`ort_session(model)` is the one way flightml builds a session. By default it is the oracle, exact in
int32 on every host (VNNI and arm64 are exact anyway). A model with int8 activations takes
`session.qdqisint8allowed=1`: ONNX Runtime keeps its fused QDQ groups on int8 (as on arm64, where
that is the default; the op tests' ort-exact AveragePool and Softmax follow those fused kernels) and
runs S8S8 kernels, which accumulate in int32 (MLAS has no int16-pair S8S8 kernel on x86; measured
exact on an AVX2-only EPYC).
A model with uint8 activations takes `session.x64quantprecision=1`: ONNX Runtime gives the weights
uint8 and runs exact U8U8 kernels (the option would break int8-activation nodes: QGemm and QLinearConv
take no uint8 weights with int8 activations, and ONNX Runtime 1.32 refuses the model). `exact=False` is the
default session a user gets, whose int8 results on x86 AVX2 without VNNI saturate (flightml.verify.u8s8,
README "Which int8 figures are exact"); flightml uses it only for `ort_int8_accuracy` and timing.
`ort_host()` describes this host's kernel path.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import onnx

from flightml.errors import InputError

EXACT_CONFIG = {"session.x64quantprecision": "1"}
INT8_ACTIVATION_CONFIG = {"session.qdqisint8allowed": "1"}
QOPERATOR_MATMULS = ("QLinearConv", "QLinearMatMul", "QGemm")  # input 2: the activation's zero point
VNNI_FLAGS = ("avx512_vnni", "avx_vnni")
X86 = ("x86_64", "amd64", "i386", "i686")
ARM64 = ("aarch64", "arm64")


def ort_session(
    model: Path | str | bytes | onnx.ModelProto, *, exact: bool = True, threads: int = 1, optimize: bool = True
):  # -> onnxruntime.InferenceSession
    """A CPU session with a fixed thread count; exact int8 on every host unless `exact=False`.

    `optimize=False` disables graph optimizations (float ops between Q/DQ, no fused int8 kernels).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else model
    source = str(source) if isinstance(source, Path) else source
    if exact:
        for key, value in exact_config(source).items():
            options.add_session_config_entry(key, value)
    try:
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail/InvalidGraph types from C++
        where = model if isinstance(model, (str, Path)) else "model"
        raise InputError(f"{where}: ONNX Runtime cannot load it ({str(exc).splitlines()[0]})") from None


def exact_config(source: str | bytes) -> dict[str, str]:
    """The session options that make ONNX Runtime's int8 kernels exact on every host for this model."""
    try:
        model = onnx.load_model_from_string(source) if isinstance(source, bytes) else onnx.load(source)
    except Exception:  # unreadable: ONNX Runtime will say why when it loads it
        return EXACT_CONFIG
    return INT8_ACTIVATION_CONFIG if int8_activations(model) else EXACT_CONFIG


def int8_activations(model: onnx.ModelProto) -> bool:
    """Whether activations are int8: an int8 graph input, or an int8 zero point on a QuantizeLinear or on
    the activation of a QLinearConv/QLinearMatMul/QGemm (initializer or Constant)."""
    int8 = {t.name for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8}
    int8 |= {
        n.output[0]
        for n in model.graph.node
        if n.op_type == "Constant" and n.attribute and n.attribute[0].t.data_type == onnx.TensorProto.INT8
    }
    if any(i.type.tensor_type.elem_type == onnx.TensorProto.INT8 for i in model.graph.input):
        return True
    zero_points = ("QuantizeLinear", *QOPERATOR_MATMULS)
    return any(n.op_type in zero_points and len(n.input) > 2 and n.input[2] in int8 for n in model.graph.node)


def kernel_path(machine: str, flags: set[str]) -> tuple[str, bool]:
    """(ONNX Runtime's int8 GEMM path of a default session, whether it is exact) for a CPU."""
    machine = machine.lower()
    if machine in ARM64:
        return ("arm64 dot product (SDOT/UDOT), exact" if "asimddp" in flags else "arm64 NEON, exact"), True
    if machine not in X86:
        return f"{machine}: not modelled", False
    if any(flag in flags for flag in VNNI_FLAGS):
        return "x86 U8S8 with VNNI (VPDPBUSD), exact", True
    if "avx2" in flags:
        return "x86 U8S8 AVX2 without VNNI (VPMADDUBSW: int16 pair saturation)", False
    return "x86 U8S8 without AVX2 or VNNI (int16 pair saturation, per ONNX Runtime's documentation)", False


def _cpuinfo() -> tuple[str, set[str]]:
    """(CPU model, ISA flags) from /proc/cpuinfo; ('', set()) where there is none (macOS, Windows)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor(), set()
    model, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
    return model or platform.processor(), flags


def ort_host() -> dict[str, Any]:
    """This host as ONNX Runtime's int8 kernels see it: CPU, the ISA flags that matter, ORT version,
    the kernel path a default session takes and whether it is exact (`saturates` = not exact on x86)."""
    import onnxruntime as ort

    model, flags = _cpuinfo()
    machine = platform.machine()
    path, exact = kernel_path(machine, flags)
    relevant = ("avx2", *VNNI_FLAGS, "asimddp")
    return {
        "cpu": model,
        "machine": machine,
        "isa": {flag: flag in flags for flag in relevant},
        "onnxruntime": ort.__version__,
        "kernel_path": path,
        "exact": exact,
        "saturates": machine.lower() in X86 and not exact,
    }
