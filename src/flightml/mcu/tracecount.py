"""Flash data reads counted a second, independent way: from QEMU's own CPU trace, not the plugin.

QEMU runs the ELF one instruction per block (`-singlestep -d cpu,nochain`), logging every register
before each instruction. Each executed address is looked up in `objdump -d` of the ELF; for the
loads (LDR*, LDRD, LDM, POP, TBB/TBH, VLDR) the addresses read are computed from the logged
registers (conditional ones only when the logged flags pass) and counted when they fall in the
target's flash. Used to check the plugin's FLASH_READS counter (tests/mcu, benchmarks).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flightml.mcu import qemu
from flightml.mcu.targets import Target

_CONDS = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"}
_LOADS = (
    "ldrsb",
    "ldrsh",
    "ldrex",
    "ldrd",
    "ldrb",
    "ldrh",
    "ldmia",
    "ldmdb",
    "ldmfd",
    "ldm",
    "ldr",
    "pop",
    "tbb",
    "tbh",
    "vldr",
    "vpop",
    "vldmia",
    "vldm",
)
_ALIASES = {"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15}
_REG_LINE = re.compile(r"R(\d\d)=([0-9a-f]{8})")


def _reg(name: str) -> int:
    name = name.strip().lower()
    return _ALIASES[name] if name in _ALIASES else int(name[1:])


def _base(mnemonic: str) -> tuple[str, str] | None:
    """(load base, condition) of an objdump mnemonic such as 'ldrbne.w', or None when not a load."""
    m = mnemonic.split(".")[0].lower()
    for base in _LOADS:
        if m.startswith(base) and (m[len(base) :] in _CONDS or m[len(base) :] == ""):
            return base, m[len(base) :]
    return None


def _passes(cond: str, flags: str) -> bool:
    n, z, c, v = (ch != "-" for ch in flags)
    table = {
        "eq": z,
        "ne": not z,
        "cs": c,
        "hs": c,
        "cc": not c,
        "lo": not c,
        "mi": n,
        "pl": not n,
        "vs": v,
        "vc": not v,
        "hi": c and not z,
        "ls": not c or z,
        "ge": n == v,
        "lt": n != v,
        "gt": not z and n == v,
        "le": z or n != v,
    }
    return table.get(cond, True)


def disassembly(elf: Path) -> dict[int, tuple[str, str]]:
    """Instruction address -> (mnemonic, operands) from `arm-none-eabi-objdump -d`."""
    text = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            try:
                addr = int(parts[0].strip()[:-1], 16)
            except ValueError:
                continue
            out[addr] = (parts[2].strip(), parts[3].strip() if len(parts) > 3 else "")
    return out


def _reglist(text: str) -> int:
    inner = text[text.index("{") + 1 : text.index("}")]
    count = 0
    for item in inner.split(","):
        lo, _, hi = item.strip().partition("-")
        count += (_reg(hi) - _reg(lo) + 1) if hi else 1
    return count


def _value(token: str, regs: list[int], pc: int) -> int:
    token = token.strip()
    if token.startswith("#"):
        return int(token[1:], 0)
    reg = _reg(token)
    return (pc + 4) & ~3 if reg == 15 else regs[reg]


def _mem_address(operands: str, regs: list[int], pc: int) -> int:
    """The address of a `[rn, ...]` operand (post-indexed: rn alone); literal loads use the comment."""
    comment = re.search(r"@ \(?(?:0x)?([0-9a-f]+)", operands)
    bracket = operands[operands.index("[") + 1 : operands.index("]")]
    fields = [f.strip() for f in bracket.split(",")]
    if _reg(fields[0]) == 15 and comment and len(fields) == 2 and fields[1].startswith("#"):
        return int(comment.group(1), 16)
    addr = _value(fields[0], regs, pc)
    if len(fields) >= 2:
        offset = _value(fields[1], regs, pc)
        if len(fields) == 3:
            offset <<= int(fields[2].split("#")[1])
        addr += offset
    return addr & 0xFFFFFFFF


def reads(mnemonic: str, operands: str, regs: list[int], pc: int, flags: str) -> list[int]:
    """Addresses read by one executed instruction (empty for non-loads and failed conditions)."""
    parsed = _base(mnemonic)
    if parsed is None or not _passes(parsed[1], flags):
        return []
    base = parsed[0]
    if base == "pop" or base == "vpop":
        return [regs[13] + 4 * i for i in range(_reglist(operands))]
    if base in ("ldm", "ldmia", "ldmfd", "ldmdb", "vldm", "vldmia"):
        rn = regs[_reg(operands.split(",")[0].rstrip("!"))]
        n = _reglist(operands)
        start = rn - 4 * n if base == "ldmdb" else rn
        return [start + 4 * i for i in range(n)]
    if base in ("tbb", "tbh"):
        fields = [f.strip() for f in operands.strip("[] ").split(",")]
        return [_value(fields[0], regs, pc) + (_value(fields[1], regs, pc) << (1 if base == "tbh" else 0))]
    addr = _mem_address(operands, regs, pc)
    return [addr, addr + 4] if base == "ldrd" else [addr]


def _trace(log: Path) -> Iterator[tuple[int, list[int], str]]:
    """(pc, registers r0..r15, NZCV letters) for every logged instruction."""
    regs: list[int] = [0] * 16
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("R"):
                for num, val in _REG_LINE.findall(line):
                    regs[int(num)] = int(val, 16)
            elif line.startswith("XPSR="):
                yield regs[15], list(regs), line.split()[1]


def flash_reads(
    elf: Path, target: Target, input_bytes: bytes, start: int, end: int, timeout_s: float = 600
) -> list[int]:
    """Flash data reads of each window from an execution of `start` to the next of `end` (code
    addresses), counted from QEMU's single-step CPU trace of `elf` on `target`."""
    code = disassembly(elf)
    lo, hi = target.flash_origin, target.flash_origin + target.flash_size
    with tempfile.TemporaryDirectory(prefix="fm-trace-") as tmp:
        work = Path(tmp)
        (work / "input.bin").write_bytes(input_bytes)
        log = ["-singlestep", "-d", "cpu,nochain", "-D", str(work / "cpu.log")]
        cmd = qemu.command(target, elf, log)
        subprocess.run(cmd, cwd=work, capture_output=True, timeout=timeout_s, check=True)
        windows: list[int] = []
        count: int | None = None
        for pc, regs, flags in _trace(work / "cpu.log"):
            if pc == start & ~1:
                count = 0
            elif pc == end & ~1 and count is not None:
                windows.append(count)
                count = None
            if count is not None and pc in code:
                count += sum(lo <= a < hi for a in reads(*code[pc], regs, pc, flags))
    return windows
