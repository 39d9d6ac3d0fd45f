"""Run configuration: frozen dataclasses loaded from TOML, every field documented and checked.

A field is declared with `setting(default, doc, ...)`; the loader rejects unknown keys, wrong types
and out-of-range values with one line naming `section.field`, and `default_toml()` renders the
defaults with their documentation as comments (`flightml config --default`).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from flightml.compiler.limits import DEFAULT_MAX_ELEMENTS
from flightml.compiler.qparams import MODES
from flightml.errors import InputError

SEED_MAX = 2**32 - 1
EPOCHS_MAX = 10_000
CHANNELS_MAX = 1024
LAYERS_MAX = 16
# Upper bounds that keep a run within a workstation's memory and about a day of training.
TRAIN_MEMORY_MAX = 4 << 30  # bytes, estimated before anything is allocated (estimate_train_bytes)
TRAIN_SAMPLE_PASSES_MAX = 2_000_000_000  # epochs x n_train


def setting(
    default: Any,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[Any, ...] | None = None,
) -> Any:
    """A documented config field with optional bounds or allowed values."""
    meta = {"doc": doc, "minimum": minimum, "maximum": maximum, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class DataConfig:
    """[data]: where the spectra come from."""

    source: str = setting(
        "reference",
        "data source: 'reference' (the reference study's synthetic generator), 'busdemeo' (synthetic, from "
        "the Bus-DeMeo class means and sigmas), 'smass2' (real SMASSII visible spectra), 'csv' (csv_path)",
        choices=("reference", "busdemeo", "smass2", "csv"),
    )
    train_source: str = setting(
        "", "training source ('' = source)", choices=("", "reference", "busdemeo", "smass2", "csv")
    )
    test_source: str = setting(
        "",
        "test source ('' = source); resampled to the training grid",
        choices=("", "reference", "busdemeo", "smass2", "csv"),
    )
    csv_path: str = setting("", "CSV file of a 'csv' source (wide or long form)")
    test_csv_path: str = setting("", "CSV file of a 'csv' test source ('' = csv_path)")
    n_train: int = setting(4000, "training spectra of a synthetic source", minimum=8, maximum=1_000_000)
    n_test: int = setting(1000, "test spectra of a synthetic source", minimum=4, maximum=1_000_000)
    bands: int = setting(64, "spectral bands per spectrum", minimum=8, maximum=4096)
    noise: float = setting(0.03, "std of the additive Gaussian noise (reflectance units)", minimum=0.0, maximum=10.0)
    seed: int = setting(0, "seed of the data generator", minimum=0, maximum=SEED_MAX)
    wavelength_min: float = setting(
        0.0, "band grid start, um (0 = the range the sources share)", minimum=0.0, maximum=100.0
    )
    wavelength_max: float = setting(
        0.0, "band grid end, um (0 = the range the sources share)", minimum=0.0, maximum=100.0
    )
    labels: str = setting(
        "complex", "labels: complexes S/C/X/V or the classes themselves", choices=("complex", "class")
    )
    end_members: str = setting(
        "other",
        "end-member classes (A, D, K, L, O, Q, R, T, Ld): 'other' label (own classes with labels = class) or dropped",
        choices=("other", "drop"),
    )
    undefined_sigma: str = setting(
        "complex",
        "busdemeo classes with undefined sigma (Cg, O, R): borrow their complex's median sigma, or drop",
        choices=("complex", "drop"),
    )
    include_xn: bool = setting(False, "busdemeo: include Xn (not one of the 24 published classes)")
    slope_sd: float = setting(0.05, "busdemeo: std of the extra spectral slope, per um", minimum=0.0, maximum=10.0)
    slope_mean: float = setting(
        0.0, "busdemeo: mean of the extra spectral slope, per um (centre of its range)", minimum=-10.0, maximum=10.0
    )
    sigma_scale: float = setting(
        1.0, "busdemeo: factor on every class's published spread (sigma)", minimum=0.0, maximum=10.0
    )
    depth_sd: float = setting(0.1, "busdemeo: relative std of the absorption band depths", minimum=0.0, maximum=10.0)
    corr_um: float = setting(0.3, "busdemeo: correlation length of the class spread, um", minimum=0.001, maximum=100.0)
    class_weights: str = setting(
        "",
        "busdemeo: label frequencies, 'S=45,C=33,X=19,V=3' (every label the generator draws, weights > 0, "
        "normalised; '' = uniform)",
    )
    unit: str = setting(
        "auto", "csv wavelength unit (auto = column suffix, else by value range)", choices=("auto", "um", "nm")
    )
    label_column: str = setting("label", "csv column holding the class or complex name")
    id_column: str = setting("id", "csv column naming each spectrum (required in long form)")
    reference_um: float = setting(
        0.55, "observed spectra are normalised to 1 at this wavelength, um", minimum=0.1, maximum=100.0
    )
    max_gap_um: float = setting(
        0.1,
        "interpolation limit: gaps between measured samples up to this width (um) are interpolated, the "
        "range edges extended by half of it; spectra not covering the band grid are dropped and counted",
        minimum=0.0,
        maximum=100.0,
    )
    coverage_policy: str = setting(
        "interpolate",
        "'interpolate' (within max_gap_um, else drop the spectrum) or 'strict' (any gap is an error)",
        choices=("interpolate", "strict"),
    )
    test_fraction: float = setting(
        0.3, "share of each class held out when train and test share a source", minimum=0.05, maximum=0.95
    )
    split_seed: int = setting(0, "seed of the stratified train/test split by object", minimum=0, maximum=SEED_MAX)


@dataclass(frozen=True)
class InstrumentConfig:
    """[instrument]: the spectrometer that will fly: band responses, noise and systematic errors.

    With a file, the network's input is the instrument's bands (data.bands, data.wavelength_min/max
    and data.noise are not used): synthetic spectra are integrated over each band's response, then the instrument's
    noise and systematics are drawn per spectrum; real spectra are integrated onto the bands (used as
    is when sampled at the band centres). File format: flightml/data/instrument.py, examples in
    flightml/data/instruments/.
    """

    file: str = setting(
        "",
        "instrument TOML file, or a shipped example: smass2-grid, spectrophotometer-16, camera-8 "
        "('' = no instrument: data.bands points over the wavelength range)",
    )
    systematics_scale: float = setting(
        1.0,
        "synthetic training spectra: the instrument's calibration and slope errors times this (0 = off); "
        "synthetic test spectra get them as described",
        minimum=0.0,
    )
    noise_scale: float = setting(
        1.0,
        "synthetic training spectra: the instrument's noise times this (0 = none); synthetic test spectra get it as "
        "described (real spectra are integrated onto the bands without it)",
        minimum=0.0,
        maximum=100.0,
    )


@dataclass(frozen=True)
class ModelConfig:
    """[model]: the SpectrumNet 1D-CNN family (only ops the compiler supports)."""

    conv_channels: list[int] = setting(
        [8, 16], f"output channels of each Conv1d layer (1 to {CHANNELS_MAX} each, at most {LAYERS_MAX} layers)"
    )
    kernel_size: int = setting(3, "Conv1d kernel size (odd; 'same' padding)", minimum=1, maximum=31)
    pool: int = setting(2, "MaxPool1d window after the convolutions (1 = no pooling)", minimum=1, maximum=64)
    hidden: int = setting(64, "width of the hidden Linear layer", minimum=1, maximum=4096)


@dataclass(frozen=True)
class TrainConfig:
    """[train]: the training loop."""

    epochs: int = setting(30, "training epochs", minimum=1, maximum=EPOCHS_MAX)
    batch_size: int = setting(128, "mini-batch size", minimum=1, maximum=65536)
    lr: float = setting(2e-3, "Adam learning rate", minimum=0.0, maximum=10.0)
    lr_schedule: str = setting(
        "constant",
        "learning rate over the epochs: constant, or cosine decay from lr to 0 (per mini-batch)",
        choices=("constant", "cosine"),
    )
    seed: int = setting(0, "torch.manual_seed for initialisation and shuffling", minimum=0, maximum=SEED_MAX)
    label_smoothing: float = setting(0.0, "cross-entropy label smoothing (0 = hard labels)", minimum=0.0, maximum=0.5)
    mixup: float = setting(
        0.0,
        "mixup between training spectra: Beta(mixup, mixup) mixing weight per mini-batch, spectra and labels "
        "mixed with a shuffled copy of the batch (0 = off)",
        minimum=0.0,
        maximum=10.0,
    )
    ema: float = setting(
        0.0,
        "exponential moving average of the weights, decay per mini-batch; the average is the trained model "
        "(0 = off, the last step's weights)",
        minimum=0.0,
        maximum=0.99999,
    )
    adapt_unlabelled: str = setting(
        "",
        "opt-in unsupervised adaptation: CSV of real spectra (csv source form; its labels are never read) taken "
        "through the same bands; after training, each round labels them with the model's confident predictions "
        "and fine-tunes on the training set plus those (pseudo-label self-training; '' = off)",
    )
    adapt_rounds: int = setting(3, "adapt_unlabelled: self-training rounds", minimum=1, maximum=100)
    adapt_epochs: int = setting(5, "adapt_unlabelled: fine-tuning epochs per round", minimum=1, maximum=EPOCHS_MAX)
    adapt_threshold: float = setting(
        0.9,
        "adapt_unlabelled: softmax confidence a pseudo-label needs",
        minimum=0.0,
        maximum=1.0,
    )


@dataclass(frozen=True)
class QuantConfig:
    """[quant]: ONNX Runtime static int8 quantization (defaults: the best setting of `flightml sweep quant`).

    preset = "reference" replaces every other field below except qat_* with the reference study's setting
    (QDQ, per-tensor weights, MinMax, first 300 training spectra one at a time).
    """

    preset: str = setting("none", "'none' (use the fields below) or 'reference'", choices=("none", "reference"))
    format: str = setting("qdq", "quantized model format (the compiler takes qdq)", choices=("qdq", "qoperator"))
    per_channel: bool = setting(True, "per-channel symmetric int8 weights (else per-tensor)")
    calibration: str = setting(
        "minmax",
        "activation calibration method (distribution is meant for float8 and loses 20+ pts at int8)",
        choices=("minmax", "entropy", "percentile", "distribution"),
    )
    percentile: float = setting(99.999, "percentile for 'percentile' calibration", minimum=50.0, maximum=100.0)
    calib_samples: int = setting(300, "calibration spectra taken from the training set", minimum=1, maximum=1_000_000)
    calib_selection: str = setting(
        "first",
        "which training spectra calibrate: first N, stratified by class, or random",
        choices=("first", "stratified", "random"),
    )
    calib_seed: int = setting(0, "seed of 'random' calibration selection", minimum=0, maximum=SEED_MAX)
    calib_batch: int = setting(1, "spectra per calibration inference (1 = one at a time)", minimum=1, maximum=65536)
    activation_type: str = setting("int8", "activation integer type", choices=("int8", "uint8"))
    activation_symmetric: bool = setting(False, "symmetric activation ranges (zero point 0)")
    reduce_range: bool = setting(False, "7-bit weights (ORT reduce_range)")
    preprocess: bool = setting(False, "run ORT quant_pre_process (shape inference, optimisation) first")
    bias_correction: bool = setting(False, "correct int32 biases for the mean int8 output error on the calibration set")
    qat_epochs: int = setting(
        0,
        "quantization-aware fine-tuning epochs before quantizing (0 = none; 10 recovers the reference setting)",
        minimum=0,
        maximum=EPOCHS_MAX,
    )
    qat_lr: float = setting(1e-3, "Adam learning rate of quantization-aware fine-tuning", minimum=0.0, maximum=10.0)


@dataclass(frozen=True)
class EvaluateConfig:
    """[evaluate]: ONNX Runtime latency measurement."""

    latency_calls: int = setting(2000, "single-sample calls timed per model", minimum=10, maximum=1_000_000)
    warmup_calls: int = setting(200, "untimed calls before timing", minimum=0, maximum=1_000_000)
    throughput_batch: int = setting(256, "batch size for the throughput measurement", minimum=1, maximum=65536)
    min_int8_accuracy: float = setting(
        0.9, "verdict: lowest acceptable int8 test accuracy (fraction)", minimum=0.0, maximum=1.0
    )
    max_int8_drop_pts: float = setting(
        3.0, "verdict: largest acceptable fp32 -> int8 accuracy drop, percentage points", minimum=0.0, maximum=100.0
    )
    reject_confidence: float = setting(
        0.0,
        "reject output: a prediction of 'other', or with softmax confidence below this, is 'unknown'; "
        "coverage and accuracy of the rest are reported (0 = reject 'other' only)",
        minimum=0.0,
        maximum=1.0,
    )


@dataclass(frozen=True)
class CompileConfig:
    """[compile]: quantized ONNX to integer-only C99."""

    name: str = setting("spectrumnet", "C identifier prefix of the generated API (NAME_invoke, ...)")
    modes: list[str] = setting(
        ["fixedpoint", "ort-exact"],
        "requantization modes to compile, any of: 'fixedpoint' (integer multiplier and shift), "
        "'ort-exact' (float32 rescale, bit-exact with ONNX Runtime), 'ort-int' (the same results with "
        "integers only, for cores without an FPU), 'tflm' (TFLite's double rounding, bit-exact with TFLite Micro)",
    )
    max_tensor_elements: int = setting(
        DEFAULT_MAX_ELEMENTS,
        "largest tensor the compiler accepts, in elements (a larger dimension is refused, naming the node)",
        minimum=1,
        maximum=2**31 - 1,
    )


@dataclass(frozen=True)
class VerifyConfig:
    """[verify]: run the generated C on the host and on emulated Cortex-M cores."""

    targets: list[str] = setting(["host", "cortex-m4"], "targets to verify on (host, or the cores in mcu/cores/*.toml)")
    mcu_samples: int = setting(200, "test spectra run on each emulated core (0 = all)", minimum=0, maximum=1_000_000)
    timeout_s: float = setting(120.0, "wall-clock limit of one emulated run, seconds", minimum=1.0, maximum=86400.0)
    clock_mhz: float = setting(
        0.0,
        "core clock for WCET in microseconds; 0 = each core's default (mcu/cores/*.toml [clock])",
        minimum=0.0,
        maximum=10000.0,
    )
    flash_wait_states: int = setting(
        -1,
        "flash wait states in the cycle estimate; -1 = each core's default (mcu/cores/*.toml [clock])",
        minimum=-1,
        maximum=15,
    )
    wcet_margin: float = setting(
        1.2,
        "WCET bound = max estimated cycles x this margin (covers the timing model's worst underestimate, "
        "1.10 on Cortex-M7, of benchmarks/timing_calibration.py)",
        minimum=1.0,
        maximum=100.0,
    )


@dataclass(frozen=True)
class MissionConfig:
    """[mission]: the power, memory and timing budget the verdict is checked against."""

    file: str = setting("", "mission TOML file; empty = the built-in example mission")


@dataclass(frozen=True)
class FaultsConfig:
    """[faults]: Monte Carlo bit flips in the compiled model's memory image."""

    flips: list[int] = setting([1, 2, 5, 10, 20], "bit flips per inference to test")
    trials: int = setting(200, "Monte Carlo trials per flip count", minimum=1, maximum=1_000_000)
    where: str = setting("all", "memory flipped", choices=("weights", "biases", "requant", "arena", "all"))
    seed: int = setting(0, "seed of the injection", minimum=0, maximum=SEED_MAX)
    samples: int = setting(128, "test spectra per trial (0 = all)", minimum=0, maximum=1_000_000)
    sweep_elements: int = setting(2, "elements per (array, bit) in the sensitivity sweep", minimum=0, maximum=10_000)
    c_trials: int = setting(12, "trials re-run on the C build to confirm the reference", minimum=0, maximum=100_000)
    scrub_chunk_bytes: int = setting(512, "bytes the scrubber checks per call", minimum=4, maximum=1 << 20)
    mode: str = setting("fixedpoint", "compiled requantization mode to inject into (also in compile.modes)",
                        choices=MODES)


@dataclass(frozen=True)
class Config:
    """The whole run configuration."""

    data: DataConfig = field(default_factory=DataConfig)
    instrument: InstrumentConfig = field(default_factory=InstrumentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    quant: QuantConfig = field(default_factory=QuantConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    compile: CompileConfig = field(default_factory=CompileConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    mission: MissionConfig = field(default_factory=MissionConfig)
    faults: FaultsConfig = field(default_factory=FaultsConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _sections() -> dict[str, type]:
    hints = get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config)}


def _check_value(where: str, value: Any, hint: Any, meta: dict[str, Any]) -> Any:
    origin = get_origin(hint)
    if origin is list:
        (item_type,) = get_args(hint)
        if not isinstance(value, list):
            raise InputError(f"{where}: expected a list of {item_type.__name__}, got {value!r}")
        return [_check_value(f"{where}[{i}]", v, item_type, {}) for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {value!r}")
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}: expected an integer, got {value!r}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: expected a number, got {value!r}")
        try:
            value = float(value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise InputError(f"{where}: expected a finite number, got {value!r}")
    elif hint is str and not isinstance(value, str):
        raise InputError(f"{where}: expected a string, got {value!r}")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise InputError(f"{where}: expected one of {', '.join(map(str, choices))}, got {value!r}")
    if meta.get("minimum") is not None and value < meta["minimum"]:
        raise InputError(f"{where}: must be >= {meta['minimum']}, got {value!r}")
    if meta.get("maximum") is not None and value > meta["maximum"]:
        raise InputError(f"{where}: must be <= {meta['maximum']}, got {value!r}")
    return value


def check_field(dotted: str, value: Any, flag: str) -> Any:
    """A command-line value checked against config field `dotted` (type, finite, bounds, choices);
    InputError naming `flag`. The bounds are declared once, on the field."""
    section, key = dotted.split(".", 1)
    cls = _sections()[section]
    meta = {f.name: dict(f.metadata) for f in dataclasses.fields(cls)}[key]
    return _check_value(flag, value, get_type_hints(cls)[key], meta)


def check_number(flag: str, value: float | None, minimum: float, maximum: float, *, above: bool = False) -> None:
    """A command-line number outside the config fields: finite and within [minimum, maximum] (or
    (minimum, maximum] when `above`); InputError naming `flag`. None (not given) passes."""
    if value is None:
        return
    low_ok = value > minimum if above else value >= minimum
    if not (math.isfinite(value) and low_ok and value <= maximum):
        low = f"> {minimum}" if above else f">= {minimum}"
        raise InputError(f"{flag}: expected a finite number {low} and <= {maximum}, got {value!r}")


def _build_section(name: str, cls: type, values: dict[str, Any], origin: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in values:
        if key not in known:
            raise InputError(f"{origin}: unknown key '{name}.{key}' (known: {', '.join(known)})")
    checked = {
        key: _check_value(f"{origin}: {name}.{key}", value, hints[key], dict(known[key].metadata))
        for key, value in values.items()
    }
    return cls(**checked)


def config_from_dict(raw: dict[str, Any], origin: str = "config") -> Config:
    """Build a checked Config from nested dicts (missing keys take their defaults)."""
    sections = _sections()
    for key, value in raw.items():
        if key not in sections:
            raise InputError(f"{origin}: unknown section '{key}' (known: {', '.join(sections)})")
        if not isinstance(value, dict):
            raise InputError(f"{origin}: '{key}' must be a table of settings")
    built = {name: _build_section(name, cls, raw.get(name, {}), origin) for name, cls in sections.items()}
    config = Config(**built)
    _check_cross_fields(config, origin)
    return config


def _check_cross_fields(config: Config, origin: str) -> None:
    if config.model.kernel_size % 2 == 0:
        raise InputError(f"{origin}: model.kernel_size must be odd for 'same' padding, got {config.model.kernel_size}")
    channels = config.model.conv_channels
    if not channels or len(channels) > LAYERS_MAX or min(channels) < 1 or max(channels) > CHANNELS_MAX:
        raise InputError(
            f"{origin}: model.conv_channels must list 1 to {LAYERS_MAX} channel counts in [1, {CHANNELS_MAX}], "
            f"got {channels}"
        )
    if config.data.bands % config.model.pool:
        raise InputError(
            f"{origin}: data.bands ({config.data.bands}) must be divisible by model.pool ({config.model.pool})"
        )
    _check_data(config, origin)
    _check_instrument(config, origin)
    _check_size(config, origin)
    _check_names(config, origin)
    if not config.faults.flips or min(config.faults.flips) < 1 or max(config.faults.flips) > 4096:
        raise InputError(f"{origin}: faults.flips must list counts in [1, 4096], got {config.faults.flips}")
    if config.faults.mode not in config.compile.modes:
        raise InputError(f"{origin}: faults.mode '{config.faults.mode}' is not in compile.modes {config.compile.modes}")
    synthetic_train = (config.data.train_source or config.data.source) in ("reference", "busdemeo")
    if synthetic_train and config.quant.calib_samples > config.data.n_train:
        raise InputError(
            f"{origin}: quant.calib_samples ({config.quant.calib_samples}) exceeds data.n_train ({config.data.n_train})"
        )


def estimate_train_bytes(config: Config) -> int:
    """An estimate (not a measurement) of the training stage's peak memory: the spectra (float64 while
    generated), the full-set accuracy pass's activations, and the weights with Adam's state."""
    data, model = config.data, config.model
    spectra = (data.n_train + data.n_test) * data.bands * 8 * 2
    widest = max(data.n_train, data.n_test, config.train.batch_size, config.quant.calib_samples)
    activations = widest * data.bands * sum(model.conv_channels) * 4 * 2
    conv = sum(a * b * model.kernel_size for a, b in zip([1, *model.conv_channels], model.conv_channels, strict=False))
    dense = data.bands // model.pool * model.conv_channels[-1] * model.hidden + model.hidden * 32
    return spectra + activations + (conv + dense) * 4 * 4


def _check_size(config: Config, origin: str) -> None:
    """Refuse a run that would not fit TRAIN_MEMORY_MAX or would take more than about a day."""
    needed = estimate_train_bytes(config)
    if needed > TRAIN_MEMORY_MAX:
        raise InputError(
            f"{origin}: data.n_train/n_test, data.bands and model.conv_channels need an estimated "
            f"{needed / 2**30:.1f} GiB to train (limit {TRAIN_MEMORY_MAX / 2**30:.0f} GiB)"
        )
    passes = (config.train.epochs + config.quant.qat_epochs) * config.data.n_train
    if passes > TRAIN_SAMPLE_PASSES_MAX:
        raise InputError(
            f"{origin}: (train.epochs + quant.qat_epochs) x data.n_train = {passes} exceeds "
            f"{TRAIN_SAMPLE_PASSES_MAX} spectra passes (about a day of training)"
        )


def _check_names(config: Config, origin: str) -> None:
    """compile.name, compile.modes and verify.targets: the values the compile and verify stages accept."""
    from flightml.compiler.emit import check_name
    from flightml.mcu.targets import TARGETS

    try:
        check_name(config.compile.name, "compile.name")
    except InputError as exc:
        raise InputError(f"{origin}: {exc}") from None
    for key, values, known in (
        ("compile.modes", config.compile.modes, MODES),
        ("verify.targets", config.verify.targets or ["host"], ("host", *TARGETS)),
    ):
        unknown = [v for v in values if v not in known]
        if not values or unknown or len(set(values)) != len(values):
            raise InputError(f"{origin}: {key}: expected distinct values from {', '.join(known)}, got {values}")


def parse_class_weights(text: str) -> dict[str, float]:
    """data.class_weights as {label: weight}; InputError naming the field for a bad item."""
    weights: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = (part.strip() for part in item.partition("="))
        try:
            weight = float(value) if sep and name and name not in weights else -1.0
        except ValueError:
            weight = -1.0
        if not (math.isfinite(weight) and weight > 0):
            raise InputError(
                f"data.class_weights: expected 'LABEL=WEIGHT,...' with distinct labels and weights > 0, got {item!r}"
            )
        weights[name] = weight
    return weights


def _check_data(config: Config, origin: str) -> None:
    data = config.data
    sources = {data.train_source or data.source, data.test_source or data.source}
    if "reference" in sources and len(sources) > 1:
        raise InputError(
            f"{origin}: the 'reference' source has a unit-free band grid and cannot be mixed with {sources}"
        )
    if "csv" in sources and not (data.csv_path or data.test_csv_path):
        raise InputError(f"{origin}: a 'csv' source needs data.csv_path (or --source csv:FILE)")
    if "reference" in sources and config.train.adapt_unlabelled:
        raise InputError(
            f"{origin}: train.adapt_unlabelled needs a source in um (busdemeo, smass2, csv), not 'reference'"
        )
    if data.class_weights:
        try:
            parse_class_weights(data.class_weights)
        except InputError as exc:
            raise InputError(f"{origin}: {exc}") from None
    if 0 < data.wavelength_max <= data.wavelength_min or (data.wavelength_min > 0) != (data.wavelength_max > 0):
        raise InputError(f"{origin}: data.wavelength_min and data.wavelength_max must both be 0 or an increasing range")


def _check_instrument(config: Config, origin: str) -> None:
    """The instrument file is read and checked here, so `config --check` and a run fail before writing."""
    if not config.instrument.file:
        return
    from flightml.data.instrument import load_instrument

    sources = {config.data.train_source or config.data.source, config.data.test_source or config.data.source}
    if "reference" in sources:
        raise InputError(f"{origin}: instrument.file needs a source in um (busdemeo, smass2, csv), not 'reference'")
    instrument = load_instrument(config.instrument.file)
    if instrument.bands % config.model.pool:
        raise InputError(
            f"{instrument.origin}: {instrument.bands} bands, not divisible by model.pool ({config.model.pool})"
        )


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Load a TOML file (or the defaults when `path` is None), then apply `overrides`."""
    raw: dict[str, Any] = {}
    origin = "defaults"
    if path is not None:
        path = Path(path)
        origin = str(path)
        if path.is_dir():
            raise InputError(f"{path}: is a folder; expected a TOML config file")
        if not path.is_file():
            raise InputError(f"{path}: config file not found")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid TOML ({exc})") from None
    for dotted, value in (overrides or {}).items():
        section, key = dotted.split(".", 1)
        raw.setdefault(section, {})[key] = value
    return config_from_dict(raw, origin)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def default_toml() -> str:
    """The default configuration as commented TOML; loading it gives `Config()`."""
    lines = ["# flightml configuration. Every key is optional; missing keys take these defaults.", ""]
    for name, cls in _sections().items():
        lines += [f"# {line.strip()}".rstrip() for line in (cls.__doc__ or "").strip().splitlines()]
        lines.append(f"[{name}]")
        instance = cls()
        for f in dataclasses.fields(cls):
            meta = f.metadata
            extra = []
            if meta.get("choices"):
                extra.append("one of " + ", ".join(str(c) if c != "" else '""' for c in meta["choices"]))
            if meta.get("minimum") is not None:
                extra.append(f">= {meta['minimum']}")
            if meta.get("maximum") is not None:
                extra.append(f"<= {meta['maximum']}")
            suffix = f" ({'; '.join(extra)})" if extra else ""
            lines.append(f"# {meta.get('doc', '')}{suffix}")
            lines.append(f"{f.name} = {_toml_value(getattr(instance, f.name))}")
        lines.append("")
    return "\n".join(lines)
