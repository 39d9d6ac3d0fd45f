"""The `compile` pipeline stage: RUN/model_int8.onnx -> RUN/c/<mode>/ for each config.compile.modes,
each with the integrity self-test and the MCU board files (Makefile, CMake, FreeRTOS task;
flightml.mcu.package).

RUN/c is replaced whole and atomically, so a mode dropped from the config leaves no stale directory.
"""

from __future__ import annotations

from flightml.artifacts import RunDir, atomic_output_dir
from flightml.compiler import compile_model
from flightml.config import Config
from flightml.mcu.package import add_board_files


def compile_stage(run: RunDir, config: Config) -> None:
    model = run.require("model_int8.onnx", "quantize")
    with atomic_output_dir(run.path("c")) as tmp:
        for mode in config.compile.modes:
            compile_model(
                model,
                tmp / mode,
                config.compile.name,
                mode,
                command=f"flightml run: compile stage (--name {config.compile.name} --requant {mode})",
                max_elements=config.compile.max_tensor_elements,
            )
            # integrity.{c,h} (the constant-image self-test), Makefile, CMake, bare-metal loop, FreeRTOS task
            add_board_files(tmp / mode, config.compile.name, config.faults.scrub_chunk_bytes)
