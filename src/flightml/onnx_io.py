"""Loading ONNX files given by users: every failure becomes one line naming the file.

External data is read only from files inside the model's own folder (relative names, no '..', no
symlink leading out), whatever the current directory; the opset must be one the compiler supports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import onnx

from flightml.errors import InputError

OPSETS = (10, 28)  # default-domain opsets read (inclusive): the first with QLinear ops .. onnx 1.23's newest


def _tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            for sub in (*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs):
                yield from _tensors(sub)


def _external_file(path: Path, tensor: onnx.TensorProto) -> tuple[Path, int, int | None]:
    info = {entry.key: entry.value for entry in tensor.external_data}
    location = info.get("location", "")
    where = f"{path}: initializer '{tensor.name}' external data {location!r}"
    rel = Path(location)
    if not location or rel.is_absolute() or ".." in rel.parts:
        raise InputError(f"{where}: expected a file name relative to the model's folder (no absolute path, no '..')")
    folder = path.resolve().parent
    target = (folder / rel).resolve()
    if folder not in target.parents:
        raise InputError(f"{where}: leads outside the model's folder {folder}")
    if not target.is_file():
        raise InputError(f"{where}: file not found in the model's folder")
    try:
        offset = int(info.get("offset", "0"))
        length = int(info["length"]) if "length" in info else None
    except ValueError:
        raise InputError(f"{where}: offset and length must be integers") from None
    size = target.stat().st_size
    if offset < 0 or (length is not None and (length < 0 or offset + length > size)) or offset > size:
        raise InputError(f"{where}: offset {offset} + length {length} is outside the file ({size} bytes)")
    return target, offset, length


def load_external_data(path: Path, model: onnx.ModelProto) -> None:
    """Read every external tensor of `model` (loaded from `path` without its external data) in place,
    from files inside the model's folder only; InputError naming the tensor otherwise."""
    for tensor in _tensors(model.graph):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        target, offset, length = _external_file(Path(path), tensor)
        with open(target, "rb") as handle:
            handle.seek(offset)
            tensor.raw_data = handle.read() if length is None else handle.read(length)
        del tensor.external_data[:]
        tensor.data_location = onnx.TensorProto.DEFAULT


def uses_external_data(data: bytes) -> bool:
    """Whether the serialized model `data` keeps any tensor in external files."""
    model = onnx.load_model_from_string(data)
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in _tensors(model.graph))


def check_opset(path: Path, model: onnx.ModelProto) -> None:
    """The default-domain opset must be within OPSETS."""
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx") and not OPSETS[0] <= entry.version <= OPSETS[1]:
            raise InputError(f"{path}: opset {entry.version} is not supported (supported: {OPSETS[0]} to {OPSETS[1]})")


def load_model_bytes(path: Path, data: bytes, what: str = "ONNX model") -> onnx.ModelProto:
    """Parse `data` (the bytes of `path`) and read its external data safely; InputError naming `path`."""
    if not data:
        raise InputError(f"{path}: not an ONNX file (empty; expected an {what})")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError and friends, not one documented type
        raise InputError(f"{path}: not an ONNX file ({exc.__class__.__name__})") from None
    if not model.graph.node:
        raise InputError(f"{path}: not an ONNX model (empty or missing graph)")
    load_external_data(path, model)
    return model


def load_onnx(path: Path, what: str = "ONNX model") -> onnx.ModelProto:
    """Load and check an ONNX model; raise InputError naming `path` if it is missing or invalid."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    model = load_model_bytes(path, path.read_bytes(), what)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "validation failed"
        raise InputError(f"{path}: invalid ONNX model: {first}") from None
    return model
