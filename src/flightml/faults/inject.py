"""Fault propagation through the integer reference, batched over trials and samples.

A trial is a set of faults for one inference of every sample: faulty copies of some constant arrays
(`consts`, from `Image.apply`) and/or flips of activation bits while they sit in the arena (`arena`:
(tensor, flat element, bit), applied when the tensor is produced). `Propagator.classes(trials)` gives
the predicted class of every sample under every trial, using the op modules' `reference` (the
arbiter the C equals bit for bit). Speed comes from three exact shortcuts: clean activations are
computed once; a faulty layer whose flips touch few output channels is re-run on those channels
only (the layer sliced along its output channels); downstream layers only re-run the samples whose
input differs from the clean run, batched across all trials in one reference call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from flightml.compiler.ir import Graph, Layer
from flightml.compiler.ops import BY_KIND
from flightml.verify.reference import Reference

# kind -> (params set to the number of kept output channels, output channel axis of [B, ...]).
SLICEABLE = {"conv": (("out_c",), 1), "conv_maxpool": (("out_c", "pool_channels"), 1), "fc": (("out_features",), -1)}
BATCH_ROWS = 512  # rows per downstream reference call (cache-sized)
PER_CHANNEL_KEYS = ("mult", "shift", "scale")


@dataclass
class Trial:
    """Faults of one trial: faulty constant arrays (with the flat elements changed) and arena flips."""

    consts: dict[str, np.ndarray] = field(default_factory=dict)
    changed: dict[str, np.ndarray] = field(default_factory=dict)
    arena: list[tuple[str, int, int]] = field(default_factory=list)


Dirty = tuple[np.ndarray, np.ndarray]  # (sample rows, int8 values of those rows)


def flip_int8(values: np.ndarray, element: int, bit: int) -> np.ndarray:
    """Flip `bit` of flat `element` in every row of int values [R, ...] (int8 storage semantics)."""
    flat = values.reshape(values.shape[0], -1).astype(np.int8)
    flat.view(np.uint8)[:, element] ^= np.uint8(1 << bit)
    return flat.reshape(values.shape)


class Propagator:
    """Clean activations of `x` (int8 [S, *input]) once; faulty trials propagated against them."""

    def __init__(self, graph: Graph, x: np.ndarray) -> None:
        self.graph = graph
        self.reference = Reference(graph)
        self.consts = self.reference.consts
        self.n = int(x.shape[0])
        g = graph
        self.clean: dict[str, np.ndarray] = {g.input: np.asarray(x).astype(np.int8)}
        for layer in g.layers:
            ins = [self.clean[g.storage(t)].astype(np.int64) for t in layer.inputs]
            self.clean[layer.output] = self._run(layer, ins, self.consts).astype(np.int8)
        self.output = g.storage(g.output)
        self.clean_classes = self._argmax(self.clean[self.output])
        self.last_read = {g.storage(t): i for i, layer in enumerate(g.layers) for t in layer.inputs}

    def tensors(self) -> list[str]:
        """Stored activation tensors (input, layer outputs) in production order: the arena flip sites."""
        return [self.graph.input, *(layer.output for layer in self.graph.layers)]

    def _run(self, layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray]) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):  # corrupted float scales: inf/NaN, defined by the C
            return BY_KIND[layer.kind].reference(layer, inputs, consts, self.graph.mode)

    @staticmethod
    def _argmax(y: np.ndarray) -> np.ndarray:
        return y.reshape(y.shape[0], -1).argmax(axis=1)

    def _inputs(self, layer: Layer, state: dict[str, Dirty], rows: np.ndarray) -> list[np.ndarray]:
        """The layer's inputs for sample `rows` (clean values with the trial's dirty rows laid over)."""
        out = []
        for t in layer.inputs:
            t = self.graph.storage(t)
            full = self.clean[t][rows].astype(np.int64)
            if t in state:
                d_rows, d_vals = state[t]
                pos = np.searchsorted(rows, d_rows)
                hit = (pos < rows.size) & (rows[np.minimum(pos, rows.size - 1)] == d_rows)
                full[pos[hit]] = d_vals[hit]
            out.append(full)
        return out

    def _dirty_rows(self, layer: Layer, state: dict[str, Dirty]) -> np.ndarray:
        rows = [state[self.graph.storage(t)][0] for t in layer.inputs if self.graph.storage(t) in state]
        return np.unique(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)

    def _channels(self, layer: Layer, trial: Trial) -> np.ndarray | None:
        """Output channels touched by the trial's faulty constants of `layer`, or None (not sliceable)."""
        if layer.kind not in SLICEABLE or layer.params.get("groups", 1) != 1:
            return None
        m = int(layer.params[SLICEABLE[layer.kind][0][0]])
        chans = []
        for key, value in layer.consts.items():
            idx = trial.changed.get(f"{layer.cname}_{key}")
            if idx is None:
                continue
            if key in PER_CHANNEL_KEYS and not layer.params.get("per_channel", 0):
                return None
            chans.append(idx // max(value.size // m, 1))
        return np.unique(np.concatenate(chans))

    def _sliced(self, layer: Layer, chans: np.ndarray, consts: Mapping[str, np.ndarray]) -> tuple[Layer, dict]:
        keys, axis = SLICEABLE[layer.kind]
        params = {**layer.params, **{k: int(chans.size) for k in keys}}
        shape = list(layer.out_shape)
        shape[axis] = int(chans.size)
        sub = {}
        for key in layer.consts:
            name = f"{layer.cname}_{key}"
            value = np.asarray(consts[name])
            per_channel = key not in PER_CHANNEL_KEYS or layer.params.get("per_channel", 0)
            sub[name] = value[chans] if per_channel else value
        return dataclasses.replace(layer, params=params, out_shape=tuple(shape)), sub

    def _faulty_layer(self, layer: Layer, trial: Trial, state: dict[str, Dirty]) -> np.ndarray:
        """The layer's output for all samples with the trial's faulty constants (int64 [S, ...])."""
        consts = {**self.consts, **trial.consts}
        chans = self._channels(layer, trial)
        all_rows = np.arange(self.n)
        if chans is None:
            return self._run(layer, self._inputs(layer, state, all_rows), consts)
        out = self.clean[layer.output].astype(np.int64)
        rows = self._dirty_rows(layer, state)
        if rows.size:
            out[rows] = self._run(layer, self._inputs(layer, state, rows), consts)
        sub_layer, sub_consts = self._sliced(layer, chans, consts)
        part = self._run(sub_layer, self._inputs(layer, state, all_rows), sub_consts)
        axis = SLICEABLE[layer.kind][1] % out.ndim
        index = [slice(None)] * out.ndim
        index[axis] = chans
        out[tuple(index)] = part
        return out

    def _arena_flips(self, tensor: str, trials: list[Trial], states: list[dict[str, Dirty]]) -> None:
        for trial, state in zip(trials, states, strict=True):
            flips = [(e, b) for t, e, b in trial.arena if t == tensor]
            if not flips:
                continue
            vals = self._inputs_of_tensor(tensor, state)
            for element, bit in flips:
                vals = flip_int8(vals, element, bit)
            self._set_dirty(tensor, state, vals.astype(np.int64))

    def _inputs_of_tensor(self, tensor: str, state: dict[str, Dirty]) -> np.ndarray:
        full = self.clean[tensor].copy()
        if tensor in state:
            full[state[tensor][0]] = state[tensor][1]
        return full

    def _set_dirty(self, tensor: str, state: dict[str, Dirty], full: np.ndarray) -> None:
        """Record the rows of `full` (int64 [S, ...]) that differ from the clean run."""
        clean = self.clean[tensor]
        diff = np.flatnonzero((full.reshape(self.n, -1) != clean.reshape(self.n, -1)).any(axis=1))
        if diff.size:
            state[tensor] = (diff, full[diff].astype(np.int8))
        else:
            state.pop(tensor, None)

    def _set_rows(self, tensor: str, state: dict[str, Dirty], rows: np.ndarray, values: np.ndarray) -> None:
        """Record `values` of sample `rows` of a freshly produced tensor, keeping the rows that differ."""
        clean = self.clean[tensor][rows].reshape(rows.size, -1)
        keep = (values.reshape(rows.size, -1) != clean).any(axis=1)
        if keep.any():
            state[tensor] = (rows[keep], values[keep].astype(np.int8))
        else:
            state.pop(tensor, None)

    def outputs(self, trials: list[Trial]) -> list[np.ndarray]:
        """int8 network output [S, ...] of every sample under each trial."""
        g = self.graph
        states: list[dict[str, Dirty]] = [{} for _ in trials]
        self._arena_flips(g.input, trials, states)
        for li, layer in enumerate(g.layers):
            names = {f"{layer.cname}_{key}" for key in layer.consts}
            faulty = [not names.isdisjoint(t.consts) for t in trials]
            batch, owners = [], []
            for ti, (trial, state) in enumerate(zip(trials, states, strict=True)):
                if faulty[ti]:
                    self._set_dirty(layer.output, state, self._faulty_layer(layer, trial, state))
                    continue
                rows = self._dirty_rows(layer, state)
                if rows.size:
                    batch.append(self._inputs(layer, state, rows))
                    owners.append((ti, rows))
            if batch:
                joined = [np.concatenate([b[i] for b in batch]) for i in range(len(layer.inputs))]
                result = np.concatenate([
                    self._run(layer, [j[s : s + BATCH_ROWS] for j in joined], self.consts)
                    for s in range(0, joined[0].shape[0], BATCH_ROWS)
                ])
                start = 0
                for ti, rows in owners:
                    self._set_rows(layer.output, states[ti], rows, result[start : start + rows.size])
                    start += rows.size
            self._arena_flips(layer.output, trials, states)
            for state in states:
                for t in [t for t in state if self.last_read.get(t, len(g.layers)) <= li and t != self.output]:
                    del state[t]
        return [self._inputs_of_tensor(self.output, s) for s in states]

    def classes(self, trials: list[Trial], chunk: int = 256) -> np.ndarray:
        """Predicted class [T, S] of every sample under every trial (argmax, first index on ties)."""
        out = np.empty((len(trials), self.n), dtype=np.int64)
        for start in range(0, len(trials), chunk):
            for i, y in enumerate(self.outputs(trials[start : start + chunk])):
                out[start + i] = self._argmax(y)
        return out
