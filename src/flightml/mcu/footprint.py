"""Footprint of the model from the linked ELF's linker map: flash (weights, code, other constants)
and RAM (arena and other state) of the model's own objects (model.o, the kernel set and the libgcc
helpers they pull in), without the harness, startup and libc. Checked against model.h's #defines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

_OUT = re.compile(r"^(\.[\w.]+)\s")
_IN = re.compile(r"^ (\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+)$")
_IN_NAME = re.compile(r"^ (\S+)$")
_IN_REST = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+)$")


@dataclass(frozen=True)
class Footprint:
    weight_bytes: int
    code_bytes: int
    const_bytes: int
    ram_bytes: int
    arena_bytes: int

    @property
    def flash_bytes(self) -> int:
        return self.weight_bytes + self.code_bytes + self.const_bytes


def map_sections(map_file: Path) -> list[tuple[str, str, int, str]]:
    """(output section, input section, size, object file) for every placed input section."""
    text = map_file.read_text(encoding="utf-8", errors="replace")
    text = text[text.find("Linker script and memory map") :]
    rows, out, pending = [], "", None
    for line in text.splitlines():
        if m := _OUT.match(line):
            out, pending = m.group(1), None
        elif m := _IN.match(line):
            rows.append((out, m.group(1), int(m.group(3), 16), m.group(4)))
        elif pending and (m := _IN_REST.match(line)):
            rows.append((out, pending, int(m.group(2), 16), m.group(3)))
            pending = None
        elif m := _IN_NAME.match(line):
            pending = m.group(1)
    return rows


def _is_model(obj: str, model_objects: set[str]) -> bool:
    return obj in model_objects or "libgcc.a(" in obj


def measure(map_file: Path, elf: Path, model_objects: list[Path], arena_symbol: str) -> Footprint:
    """Model footprint of a build (sizes of the model's input sections, arena from the symbol)."""
    objs = {str(p) for p in model_objects}
    sums = {"weights": 0, "code": 0, "const": 0, "ram": 0}
    for out, _name, size, obj in map_sections(map_file):
        if not size or not _is_model(obj, objs):
            continue
        if out == ".fm_weights":
            sums["weights"] += size
        elif out == ".text":
            sums["code"] += size
        elif out in (".rodata", ".ARM.exidx"):
            sums["const"] += size
        elif out == ".data":
            sums["const"] += size  # initial values live in flash
            sums["ram"] += size
        elif out == ".bss":
            sums["ram"] += size
    arena = symbol_sizes(elf).get(arena_symbol, 0)
    return Footprint(sums["weights"], sums["code"], sums["const"], sums["ram"], arena)


def symbol_sizes(elf: Path) -> dict[str, int]:
    """Symbol name -> st_size for the ELF's data and function symbols."""
    with open(elf, "rb") as handle:
        symtab = ELFFile(handle).get_section_by_name(".symtab")
        return {s.name: int(s["st_size"]) for s in symtab.iter_symbols() if s.name}


def symbol_addresses(elf: Path) -> dict[str, int]:
    """Function name -> entry address (Thumb bit cleared)."""
    with open(elf, "rb") as handle:
        symtab = ELFFile(handle).get_section_by_name(".symtab")
        return {
            s.name: int(s["st_value"]) & ~1
            for s in symtab.iter_symbols()
            if s.name and s["st_info"]["type"] == "STT_FUNC"
        }
