"""The `train` stage: spectra.npz -> model.pt and training_history.json.

Training always runs on one torch thread with deterministic algorithms, so the weights (and every
artifact after them) are the same whatever OMP_NUM_THREADS or the machine's core count. The
network is small enough that one thread costs little. With `train.adapt_unlabelled` the trained model
then self-trains on the unlabelled real spectra (`self_train`).
"""

from __future__ import annotations

import io
import math
import pickle
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import nn

from flightml.artifacts import RunDir, atomic_write_bytes, atomic_write_json
from flightml.config import Config, TrainConfig
from flightml.data import Spectra, load_spectra
from flightml.data.stage import SPECTRA
from flightml.errors import InputError
from flightml.model import build_model, count_params

MODEL = "model.pt"
HISTORY = "training_history.json"


class single_thread:
    """Context: torch on one thread with deterministic algorithms; restores the previous state."""

    def __enter__(self) -> None:
        self._threads = torch.get_num_threads()
        self._deterministic = torch.are_deterministic_algorithms_enabled()
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self._threads)
        torch.use_deterministic_algorithms(self._deterministic)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        predicted = model(torch.from_numpy(x)).argmax(dim=1).numpy()
    return float((predicted == y).mean())


def train_model(
    model: nn.Module,
    spectra: Spectra,
    train: TrainConfig,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Adam (lr by train.lr_schedule) + cross-entropy (train.label_smoothing, train.mixup) over a fresh
    permutation each epoch (train.ema: the weights' moving average replaces them after the last epoch);
    per-epoch metrics."""
    x = torch.from_numpy(spectra.x_train)
    y = torch.from_numpy(spectra.y_train)
    optimizer = torch.optim.Adam(model.parameters(), lr=train.lr)
    steps = train.epochs * math.ceil(len(x) / train.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(train.lr_schedule, steps))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=train.label_smoothing)
    # Mixup draws from its own stream, so mixup = 0 leaves torch's (shuffling) stream as it was.
    mixing = np.random.default_rng([train.seed, 0x6D6978]) if train.mixup > 0 else None
    average = [p.detach().clone() for p in model.parameters()] if train.ema > 0 else None
    history = []
    for epoch in range(train.epochs):
        model.train()
        permutation = torch.randperm(len(x))
        total = 0.0
        for start in range(0, len(x), train.batch_size):
            index = permutation[start : start + train.batch_size]
            optimizer.zero_grad()
            if mixing is None:
                loss = loss_fn(model(x[index]), y[index])
            else:
                lam = float(mixing.beta(train.mixup, train.mixup))
                partner = index[torch.from_numpy(mixing.permutation(len(index)))]
                logits = model(lam * x[index] + (1 - lam) * x[partner])
                loss = lam * loss_fn(logits, y[index]) + (1 - lam) * loss_fn(logits, y[partner])
            loss.backward()
            optimizer.step()
            schedule.step()
            if average is not None:
                with torch.no_grad():
                    for mean, param in zip(average, model.parameters(), strict=True):
                        mean.mul_(train.ema).add_(param, alpha=1 - train.ema)
            total += loss.item() * len(index)
        if not math.isfinite(total):
            raise InputError(f"train.lr = {train.lr}: the loss is not finite at epoch {epoch + 1}; lower train.lr")
        if average is not None and epoch == train.epochs - 1:
            with torch.no_grad():
                for mean, param in zip(average, model.parameters(), strict=True):
                    param.copy_(mean)
        model.eval()
        metrics = {
            "epoch": epoch + 1,
            "loss": total / len(x),
            "train_accuracy": accuracy(model, spectra.x_train, spectra.y_train),
            "test_accuracy": accuracy(model, spectra.x_test, spectra.y_test),
        }
        history.append(metrics)
        if on_epoch:
            on_epoch(epoch, metrics)
    return history


def _lr_factor(schedule: str, steps: int) -> Callable[[int], float]:
    """The factor on lr after `step` mini-batches of `steps`: 1, or cosine from 1 to 0."""
    if schedule == "cosine":
        return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps))
    return lambda step: 1.0


def self_train(model: nn.Module, spectra: Spectra, train: TrainConfig) -> list[dict[str, float]]:
    """Pseudo-label self-training on `spectra.x_unlabelled`, `train.adapt_rounds` rounds.

    Each round labels the unlabelled spectra with the model's predictions of softmax confidence at least
    `train.adapt_threshold`, then trains `train.adapt_epochs` epochs on the training set plus those.
    Returns one entry per round: how many spectra were labelled, and the last epoch's metrics.
    """
    assert spectra.x_unlabelled is not None
    unlabelled = torch.from_numpy(spectra.x_unlabelled)
    rounds = []
    for index in range(train.adapt_rounds):
        model.eval()
        with torch.no_grad():
            confidence, predicted = torch.softmax(model(unlabelled), dim=1).max(dim=1)
        keep = (confidence >= train.adapt_threshold).numpy()
        combined = replace(
            spectra,
            x_train=np.concatenate([spectra.x_train, spectra.x_unlabelled[keep]]),
            y_train=np.concatenate([spectra.y_train, predicted.numpy()[keep]]),
        )
        last = train_model(model, combined, replace(train, epochs=train.adapt_epochs))[-1]
        rounds.append({**last, "round": index + 1, "labelled": int(keep.sum()), "unlabelled": len(keep)})
    return rounds


def save_model(path: Any, model: nn.Module, meta: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "meta": meta}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def train_stage(run: RunDir, config: Config) -> None:
    from tqdm import tqdm

    spectra = load_spectra(run.require(SPECTRA, "data"))
    with single_thread():
        torch.manual_seed(config.train.seed)
        model = build_model(config.model, spectra.bands, spectra.classes)
        with tqdm(total=config.train.epochs, desc="train", unit="epoch", leave=False, disable=None) as bar:

            def on_epoch(_: int, metrics: dict[str, float]) -> None:
                bar.set_postfix(loss=f"{metrics['loss']:.3f}", acc=f"{metrics['test_accuracy']:.3f}")
                bar.update()

            history = train_model(model, spectra, config.train, on_epoch)
        adaptation = self_train(model, spectra, config.train) if spectra.x_unlabelled is not None else []
    meta = {"bands": spectra.bands, "classes": spectra.classes, "class_names": spectra.class_names}
    save_model(run.path(MODEL), model, meta)
    atomic_write_json(run.path(HISTORY), {"epochs": history, "adaptation": adaptation, "params": count_params(model)})
    run.update_summary({"params": count_params(model)})


def load_model(run: RunDir, config: Config) -> nn.Module:
    """The trained model from RUN/model.pt, in eval mode."""
    path = run.require(MODEL, "train")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("meta"), dict):
            raise TypeError(f"expected a dict with 'state_dict' and 'meta', got {type(checkpoint).__name__}")
        meta = checkpoint["meta"]
        model = build_model(config.model, meta["bands"], meta["classes"])
        model.load_state_dict(checkpoint["state_dict"])
    except (
        RuntimeError,
        KeyError,
        EOFError,
        OSError,
        TypeError,
        ValueError,
        IndexError,
        AttributeError,
        pickle.UnpicklingError,
    ) as exc:
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        raise InputError(f"{path}: not a flightml model checkpoint for this configuration ({first})") from None
    model.eval()
    return model
