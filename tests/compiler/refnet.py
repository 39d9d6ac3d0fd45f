"""Build the reference network (SpectrumNet) quickly for tests: train 2 epochs, export, quantize QDQ int8."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def build_refnet(
    out_dir: Path, epochs: int = 2, per_channel: bool = False, qoperator: bool = False
) -> tuple[Path, Path, object]:
    """Write model_fp32.onnx and model_int8.onnx into out_dir; return their paths and the Spectra."""
    import torch
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from torch import nn

    from flightml.data.reference import generate

    data = generate(4000, 1000, 64, 0.03, 0)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv1d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv1d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool1d(2),
        nn.Flatten(),
        nn.Linear(512, 64),
        nn.ReLU(),
        nn.Linear(64, 4),
    )
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    x = torch.from_numpy(data.x_train)
    y = torch.from_numpy(data.y_train)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 128):
            idx = perm[i : i + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    net.eval()
    fp32 = out_dir / "model_fp32.onnx"
    int8 = out_dir / f"model_int8{'_pc' if per_channel else ''}{'_qop' if qoperator else ''}.onnx"
    torch.onnx.export(
        net,
        (x[:1],),
        str(fp32),
        opset_version=13,
        input_names=["spectrum"],
        output_names=["logits"],
        dynamic_axes={"spectrum": {0: "batch"}, "logits": {0: "batch"}},
        dynamo=False,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"spectrum": data.x_train[i : i + 1]} for i in range(300)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    quantize_static(
        str(fp32),
        str(int8),
        Reader(),
        quant_format=QuantFormat.QOperator if qoperator else QuantFormat.QDQ,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        per_channel=per_channel,
    )
    return fp32, int8, data
