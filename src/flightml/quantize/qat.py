"""Quantization-aware training (QAT) and its export as an ordinary ONNX Runtime QDQ model.

Fine-tuning: the trained SpectrumNet is wrapped so that every tensor ONNX Runtime quantizes is
fake-quantized with ORT's own integer semantics: the input, each ReLU output (ORT folds the ReLU
into the quantized range) and the logits get asymmetric (or symmetric) int8/uint8 fake quantization
(round half to even, saturate); Conv/Linear weights get symmetric int8 fake quantization with ORT's
weight scale (max|w| / 127, per tensor or per output channel), gradients pass straight through.
Activation ranges start from a MinMax pass over the calibration set, follow an exponential moving
average of each batch's min/max for the first half of the epochs and are then frozen, so the last
epochs adapt the weights to the final scales.

Export, keeping the learned scales: the tuned weights are exported to fp32 ONNX exactly as the
`export` stage does, then `quantize_static` runs with `TensorQuantOverrides` giving, for every
activation tensor, the learned `scale` and `zero_point` (computed by ORT's `compute_scale_zp` from
the learned range, so PyTorch and ORT use the same float32 scale). Weight scales follow from the
tuned weights by the same formula in both. The result is a plain QDQ model the compiler takes;
`verify_scales` checks that every learned activation scale and zero point is in it unchanged.
"""

from __future__ import annotations

import copy
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from flightml.artifacts import RunDir, atomic_write_json
from flightml.config import Config, QuantConfig
from flightml.data import Spectra
from flightml.errors import FlightmlError
from flightml.export.stage import export_onnx
from flightml.quantize.stage import INT8, QAT_FP32, QAT_REPORT, effective, quantize_onnx

EMA_MOMENTUM = 0.1


def _act_qrange(quant: QuantConfig) -> tuple[int, int]:
    return (-128, 127) if quant.activation_type == "int8" else (0, 255)


def act_qparams(rmin: float, rmax: float, quant: QuantConfig) -> tuple[float, int]:
    """(float32 scale, zero point) exactly as ORT's quantize_static derives them from a range."""
    from onnx import TensorProto
    from onnxruntime.quantization.quant_utils import compute_scale_zp, get_qmin_qmax_for_qType

    qtype = TensorProto.INT8 if quant.activation_type == "int8" else TensorProto.UINT8
    qmin, qmax = get_qmin_qmax_for_qType(qtype, symmetric=quant.activation_symmetric)
    zp, scale = compute_scale_zp(
        np.array(rmin, dtype=np.float32), np.array(rmax, dtype=np.float32), qmin, qmax, quant.activation_symmetric
    )
    return float(np.float32(scale)), int(zp)


class ActFakeQuant(nn.Module):
    """Fake quantization of an activation with a tracked range (EMA while `observing`)."""

    def __init__(self, quant: QuantConfig) -> None:
        super().__init__()
        self.quant = quant
        self.register_buffer("rmin", torch.tensor(0.0))
        self.register_buffer("rmax", torch.tensor(0.0))
        self.observing = True
        self.initialised = False

    def qparams(self) -> tuple[float, int]:
        return act_qparams(float(self.rmin), float(self.rmax), self.quant)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.initialised:  # calibration pass: plain MinMax, no quantization yet
            self.rmin = torch.minimum(self.rmin, x.detach().min())
            self.rmax = torch.maximum(self.rmax, x.detach().max())
            return x
        if self.training and self.observing:
            self.rmin += EMA_MOMENTUM * (x.detach().min() - self.rmin)
            self.rmax += EMA_MOMENTUM * (x.detach().max() - self.rmax)
        scale, zp = self.qparams()
        qmin, qmax = _act_qrange(self.quant)
        return torch.fake_quantize_per_tensor_affine(x, scale, zp, qmin, qmax)


def weight_fake_quant(w: torch.Tensor, quant: QuantConfig) -> torch.Tensor:
    """Symmetric int8 fake quantization with ORT's weight scale; straight-through gradient."""
    qmax = 64 if quant.reduce_range else 127
    if quant.per_channel:
        absmax = w.detach().abs().flatten(1).amax(dim=1).view(-1, *([1] * (w.dim() - 1)))
    else:
        absmax = w.detach().abs().max()
    scale = torch.where(absmax > 0, absmax / qmax, torch.ones_like(absmax))
    q = torch.clamp(torch.round(w / scale), -qmax, qmax) * scale
    return w + (q - w).detach()


class QatConv(nn.Conv1d):
    quant: QuantConfig

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, weight_fake_quant(self.weight, self.quant), self.bias)


class QatLinear(nn.Linear):
    quant: QuantConfig

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, weight_fake_quant(self.weight, self.quant), self.bias)


def _qat_layer(layer: nn.Module, quant: QuantConfig) -> nn.Module:
    if isinstance(layer, nn.Conv1d | nn.Linear):
        layer.__class__ = QatConv if isinstance(layer, nn.Conv1d) else QatLinear
        layer.quant = quant
    return layer


def wrap(model: nn.Module, quant: QuantConfig) -> tuple[nn.Sequential, list[ActFakeQuant]]:
    """A fake-quantized copy of a SpectrumNet (`model.net`) and its activation quantizers in graph order."""
    quant = effective(quant)
    net = copy.deepcopy(model.net)
    layers = list(net)
    fakes = [ActFakeQuant(quant)]
    wrapped: list[nn.Module] = [fakes[0]]
    for i, layer in enumerate(layers):
        wrapped.append(_qat_layer(layer, quant))
        if isinstance(layer, nn.ReLU) or i == len(layers) - 1:
            fakes.append(ActFakeQuant(quant))
            wrapped.append(fakes[-1])
    return nn.Sequential(*wrapped), fakes


@dataclass
class QatResult:
    """The tuned fp32 model, learned activation (scale, zero point) in graph order, per-epoch metrics."""

    model: nn.Module
    act_qparams: list[tuple[float, int]]
    history: list[dict[str, float]] = field(default_factory=list)


def _fit(
    net: nn.Module, spectra: Spectra, quant: QuantConfig, batch_size: int, on_epoch: Any
) -> list[dict[str, float]]:
    """Adam with a cosine learning-rate decay to 0 (ends in a settled state), cross-entropy."""
    from flightml.train.stage import accuracy

    x, y = torch.from_numpy(spectra.x_train), torch.from_numpy(spectra.y_train)
    steps = quant.qat_epochs * -(-len(x) // batch_size)
    optimizer = torch.optim.Adam(net.parameters(), lr=quant.qat_lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)))
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for epoch in range(quant.qat_epochs):
        net.train()
        permutation = torch.randperm(len(x))
        total = 0.0
        for start in range(0, len(x), batch_size):
            index = permutation[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(net(x[index]), y[index])
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
        net.eval()
        history.append(
            {
                "epoch": epoch + 1,
                "loss": total / len(x),
                "train_accuracy": accuracy(net, spectra.x_train, spectra.y_train),
                "test_accuracy": accuracy(net, spectra.x_test, spectra.y_test),
            }
        )
        on_epoch(epoch)
    return history


def finetune(model: nn.Module, spectra: Spectra, calibration: np.ndarray, config: Config) -> QatResult:
    """Fine-tune a copy of `model` for quant.qat_epochs epochs with fake quantization (deterministic)."""
    from flightml.train.stage import single_thread

    quant = effective(config.quant)
    qat_net, fakes = wrap(model, quant)
    with single_thread():
        torch.manual_seed(config.train.seed)
        qat_net.eval()
        with torch.no_grad():
            for start in range(0, len(calibration), 256):
                qat_net(torch.from_numpy(calibration[start : start + 256]))
        for fake in fakes:
            fake.initialised = True

        def on_epoch(epoch: int) -> None:
            if epoch + 1 >= (quant.qat_epochs + 1) // 2:
                for fake in fakes:
                    fake.observing = False

        history = _fit(qat_net, spectra, quant, config.train.batch_size, on_epoch)
    tuned = _plain_copy(model, qat_net)
    return QatResult(tuned, [fake.qparams() for fake in fakes], history)


def _plain_copy(model: nn.Module, qat_net: nn.Sequential) -> nn.Module:
    tuned = copy.deepcopy(model)
    sources = [m for m in qat_net if isinstance(m, nn.Conv1d | nn.Linear)]
    targets = [m for m in tuned.net if isinstance(m, nn.Conv1d | nn.Linear)]
    for src, dst in zip(sources, targets, strict=True):
        dst.load_state_dict(src.state_dict())
    tuned.eval()
    return tuned


def activation_tensors(fp32: onnx.ModelProto) -> list[str]:
    """The tensors ORT QDQ quantizes with their own scale, in the order of `wrap`'s quantizers."""
    names = [fp32.graph.input[0].name]
    names += [node.output[0] for node in fp32.graph.node if node.op_type == "Relu"]
    return [*names, fp32.graph.output[0].name]


def _initializer(model: onnx.ModelProto, name: str) -> np.ndarray:
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return numpy_helper.to_array(tensor)
    raise FlightmlError(f"quantized model has no initializer '{name}'")


def verify_scales(int8: onnx.ModelProto, tensors: list[str], learned: list[tuple[float, int]]) -> list[dict[str, Any]]:
    """Each learned activation (scale, zero point) against the int8 model's; raise if any differs."""
    rows = []
    for name, (scale, zp) in zip(tensors, learned, strict=True):
        got_scale = float(_initializer(int8, f"{name}_scale"))
        got_zp = int(_initializer(int8, f"{name}_zero_point"))
        rows.append(
            {"tensor": name, "scale": scale, "zero_point": zp, "model_scale": got_scale, "model_zero_point": got_zp}
        )
        if np.float32(got_scale) != np.float32(scale) or got_zp != zp:
            raise FlightmlError(
                f"QAT export: {name} has scale {got_scale}/{got_zp} in the int8 model, learned {scale}/{zp}"
            )
    return rows


def export_qat(
    result: QatResult,
    bands: int,
    int8_path: Path,
    calibration: np.ndarray,
    quant: QuantConfig,
    fp32_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Write the tuned model as an ORT QDQ int8 model with the learned activation scales forced.

    The tuned fp32 ONNX goes to `fp32_path` when given (else a temporary file). Returns the
    learned-vs-model scale rows of `verify_scales`.
    """
    quant = effective(quant)
    dtype = np.int8 if quant.activation_type == "int8" else np.uint8
    with tempfile.TemporaryDirectory(prefix="flightml-qat-") as tmpdir:
        fp32_path = fp32_path or Path(tmpdir) / QAT_FP32
        export_onnx(result.model, bands, fp32_path)
        tensors = activation_tensors(onnx.load(str(fp32_path)))
        overrides = {
            name: [{"scale": np.array(scale, dtype=np.float32), "zero_point": np.array(zp, dtype=dtype)}]
            for name, (scale, zp) in zip(tensors, result.act_qparams, strict=True)
        }
        quantize_onnx(fp32_path, int8_path, calibration, quant, overrides)
    return verify_scales(onnx.load(str(int8_path)), tensors, result.act_qparams)


def qat_quantize(run: RunDir, config: Config, spectra: Spectra, calibration: np.ndarray) -> None:
    """Stage glue: fine-tune RUN/model.pt; write model_int8.onnx, model_qat_fp32.onnx and qat.json."""
    from flightml.train.stage import load_model

    result = finetune(load_model(run, config), spectra, calibration, config)
    scales = export_qat(result, spectra.bands, run.path(INT8), calibration, config.quant, run.path(QAT_FP32))
    atomic_write_json(run.path(QAT_REPORT), {"epochs": result.history, "activation_scales": scales})
