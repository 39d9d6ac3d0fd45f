"""The constant model image: the `static const` arrays of model.c, in declaration order, as bytes.

Names and dtypes are those of `Graph.consts()` (e.g. `l0_conv_weights` int8, `l0_conv_bias` int32,
`l0_conv_mult` int32, `l0_conv_shift` int8, `l0_conv_scale` float32). The image bytes are the arrays'
little-endian bytes concatenated in that order (Cortex-M and x86 are little-endian), which is what the
generated CRC-32 covers. A bit flip is (region index, byte offset in the region, bit 0..7).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from flightml.compiler.ir import Graph
from flightml.compiler.package import FAULT_CLASS, const_kind

WHERE = ("weights", "biases", "requant", "arena", "all")


@dataclass(frozen=True)
class Region:
    """One constant array: C name, the layer it belongs to, its fault class and its clean data."""

    name: str
    layer: int
    key: str
    data: np.ndarray

    @property
    def fault_class(self) -> str:
        return FAULT_CLASS[const_kind(self.key)]

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    @property
    def element_bits(self) -> int:
        return self.data.dtype.itemsize * 8


class Image:
    """The constant image of a Graph (regions in model.c order)."""

    def __init__(self, graph: Graph) -> None:
        self.regions: list[Region] = []
        for layer in graph.layers:
            for key, value in layer.consts.items():
                data = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"), copy=False)
                self.regions.append(Region(f"{layer.cname}_{key}", layer.index, key, data))
        self.by_name = {r.name: i for i, r in enumerate(self.regions)}

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.regions)

    def consts(self) -> dict[str, np.ndarray]:
        """name -> clean array (fresh copies)."""
        return {r.name: r.data.copy() for r in self.regions}

    def crc32(self, consts: dict[str, np.ndarray] | None = None) -> int:
        """CRC-32 (IEEE 802.3, zlib) of the image bytes, optionally with some arrays replaced."""
        crc = 0
        for r in self.regions:
            data = r.data if consts is None or r.name not in consts else consts[r.name]
            crc = zlib.crc32(np.ascontiguousarray(data).tobytes(), crc)
        return crc & 0xFFFFFFFF

    def chunk_crcs(self, chunk: int) -> list[int]:
        """CRC-32 of each `chunk`-byte slice of the image bytes (the last may be shorter)."""
        blob = b"".join(r.data.tobytes() for r in self.regions)
        return [zlib.crc32(blob[i : i + chunk]) & 0xFFFFFFFF for i in range(0, len(blob), chunk)]

    def regions_of(self, where: str) -> list[int]:
        """Indices of the regions a `--where` class covers ('all' = every region)."""
        return [i for i, r in enumerate(self.regions) if where == "all" or r.fault_class == where]

    def apply(self, flips: np.ndarray) -> dict[str, np.ndarray]:
        """Faulty copies of the arrays touched by `flips` (int [n, 3]: region, byte, bit); XOR, so a
        bit flipped twice is restored."""
        out: dict[str, np.ndarray] = {}
        for region, byte, bit in np.asarray(flips, dtype=np.int64).reshape(-1, 3):
            r = self.regions[int(region)]
            arr = out.setdefault(r.name, r.data.copy())
            arr.view(np.uint8).reshape(-1)[int(byte)] ^= np.uint8(1 << int(bit))
        return out

    def changed_elements(self, flips: np.ndarray) -> dict[str, np.ndarray]:
        """name -> flat element indices touched by `flips`."""
        out: dict[str, list[int]] = {}
        for region, byte, _ in np.asarray(flips, dtype=np.int64).reshape(-1, 3):
            r = self.regions[int(region)]
            out.setdefault(r.name, []).append(int(byte) // r.data.dtype.itemsize)
        return {k: np.unique(v) for k, v in out.items()}

    def describe(self, region: int, byte: int, bit: int) -> dict[str, object]:
        """A flip as JSON: array, element index, bit within the element, layer, class."""
        r = self.regions[region]
        size = r.data.dtype.itemsize
        return {"array": r.name, "layer": r.layer, "class": r.fault_class, "element": byte // size,
                "bit": (byte % size) * 8 + bit}
