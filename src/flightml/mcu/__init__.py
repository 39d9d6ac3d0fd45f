"""The generated C on Cortex-M cores: cross-build, emulated runs under QEMU with exact instruction
counts, estimated cycles and WCET, footprint and stack, board files for users' projects.

Entry points: `flightml.mcu.verify.verify_mcu_targets` (a compiled directory on any targets),
`flightml.mcu.stage.verify_mcu_stage` (the pipeline stage) and
`flightml.mcu.package.add_board_files` (Makefile, CMakeLists.txt, bare-metal loop, FreeRTOS task).
"""
