"""The `compile` pipeline stage: RUN/model_int8.onnx -> RUN/c/<mode>/ for each config.compile.modes."""

from __future__ import annotations

from flightml.artifacts import RunDir
from flightml.compiler import compile_model
from flightml.config import Config
from flightml.mcu.package import add_board_files


def compile_stage(run: RunDir, config: Config) -> None:
    model = run.require("model_int8.onnx", "quantize")
    for mode in config.compile.modes:
        compile_model(
            model,
            run.path("c", mode),
            config.compile.name,
            mode,
            command=f"flightml run: compile stage (--name {config.compile.name} --requant {mode})",
        )
        add_board_files(run.path("c", mode), config.compile.name)  # Makefile, CMake, FreeRTOS task (issue 4)
