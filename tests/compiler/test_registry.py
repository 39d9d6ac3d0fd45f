"""The op registry is discovered from the op modules and its tables come from their declarations."""

from __future__ import annotations

import pkgutil

import flightml.compiler.ops as ops
from flightml.compiler import abi
from flightml.compiler.tflite import lower

FACES = ("resolve", "reference", "emit_c", "cost")


def test_every_op_module_is_discovered_with_its_faces() -> None:
    files = {m.name for m in pkgutil.iter_modules(ops.__path__)} - {"common"}
    assert {m.__name__.rsplit(".", 1)[1] for m in ops.MODULES} == files
    for m in ops.MODULES:
        faces = ("view_shape",) if m.KIND == "view" else FACES  # a view is an alias: no layer, no kernel
        assert all(callable(getattr(m, f, None)) for f in faces), m.__name__
        assert ops.BY_KIND[m.KIND] is m


def test_tables_come_from_the_modules() -> None:
    assert ops.BY_ONNX["Conv"] is ops.BY_KIND["conv"] and ops.BY_ONNX["MatMul"] is ops.BY_KIND["fc"]
    assert {q: s.op for q, s in ops.QLINEAR.items() if s.op in ("Conv", "Add", "Concat")} == {
        "QLinearConv": "Conv",
        "QLinearAdd": "Add",
        "QLinearConcat": "Concat",
    }
    assert all(s.op in ops.BY_ONNX for s in ops.QLINEAR.values())
    assert ops.BY_TFLITE["AVERAGE_POOL_2D"] == (ops.BY_KIND["avgpool_div"], "AveragePool")
    assert ops.BY_TFLITE["MEAN"] == (ops.BY_KIND["avgpool"], "GlobalAveragePool")
    assert lower.CONV_OPS == ("CONV_2D", "DEPTHWISE_CONV_2D")


def test_op_declared_kernels_reach_the_abi() -> None:
    for m in ops.MODULES:
        for kernel in getattr(m, "KERNELS", ()):
            assert abi.KERNELS[kernel.name] is kernel
        for name, fields in getattr(m, "STRUCTS", {}).items():
            assert abi.STRUCTS[name] == fields


def test_a_key_two_modules_claim_is_refused() -> None:
    try:
        ops._claims("ONNX op", [("Add", ops.BY_KIND["add"]), ("Add", ops.BY_KIND["conv"])])
    except ImportError as exc:
        assert "'Add' is claimed by ops.add and ops.conv" in str(exc)
    else:
        raise AssertionError("a doubly claimed op was accepted")
