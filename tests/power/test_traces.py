from pathlib import Path

import numpy as np
import pytest

from flightml.cli import main
from flightml.errors import InputError
from flightml.power.analyze import analyze
from flightml.power.simulate import BenchFigures, write_simulated
from flightml.power.traces import read_trace

HEADER = "t_s,current_ma,bus_v,power_mw,ovf,marker\n"


def rows(n: int = 40, high: range = range(15, 25)) -> list[str]:
    return [f"{i * 0.001:.3f},{10.0 if i in high else 1.0},3.3,0,0,{int(i in high)}\n" for i in range(n)]


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty trace"),
        (HEADER, "no samples"),
        (HEADER + "".join(rows()[:5]) + "0.001,1.0,3.3,0,0,0\n", "row 7: time does not increase"),
        (HEADER + "".join(rows()[:5]) + "0.005,1.0\n", "row 7: 2 fields, expected 6"),
        (HEADER + "".join(rows()[:5]) + "0.005,abc,3.3,0,0,0\n", "row 7: column 'current_ma' is not a number"),
        (HEADER + "".join(rows()[:5]) + "0.005,nan,3.3,0,0,0\n", "row 7: column 'current_ma' is not finite"),
        (HEADER.replace("current_ma", "current_mv") + "".join(rows()), "unit 'mv' not understood"),
        ("time,amps\n0,1\n", "no t_s"),
    ],
)
def test_bad_ina219_traces_name_file_and_row(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_trace(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_marker_windows_energy_and_baseline(tmp_path: Path):
    trace = read_trace(write(tmp_path, HEADER + "".join(rows())))
    doc = analyze(trace, marker="marker", pad=1)
    assert doc["baseline_ma"] == pytest.approx(1.0)
    # 10 samples x 1 ms x 9 mA x 3.3 V = 297 uJ
    assert doc["energy_uj_per_inference"] == pytest.approx(297.0)
    assert doc["peak_current_ma"] == pytest.approx(10.0)


def test_overflow_and_gap_windows_are_flagged_and_left_out(tmp_path: Path):
    windows = (range(15, 25), range(55, 65), range(95, 105))
    lines = []
    for i in range(130):
        t = i * 0.001 + (0.2 if i >= 100 else 0.0)  # a 200 ms hole inside the third window
        high = any(i in w for w in windows)
        lines.append(f"{t:.3f},{10.0 if high else 1.0},3.3,0,{int(i == 60)},{int(high)}\n")
    doc = analyze(read_trace(write(tmp_path, HEADER + "".join(lines))), marker="marker", pad=1)
    assert [w["flags"] for w in doc["windows"]] == [[], ["overflow"], ["gap"]]
    assert doc["clean_windows"] == 1 and doc["energy_uj_per_inference"] == pytest.approx(297.0)
    assert any("left out of the median" in n for n in doc["notes"])


def test_all_windows_flagged_is_an_error_naming_the_row(tmp_path: Path):
    body = [r.replace(",0,1\n", ",1,1\n") for r in rows()]
    with pytest.raises(InputError, match=r"row \d+: every inference window is flagged \(overflow\)"):
        analyze(read_trace(write(tmp_path, HEADER + "".join(body))), marker="marker")


def test_missing_marker_channel_and_no_windows(tmp_path: Path):
    trace = read_trace(write(tmp_path, HEADER + "".join(rows())))
    with pytest.raises(InputError, match="no marker channel 'D0'"):
        analyze(trace, marker="D0")
    with pytest.raises(InputError, match="no inference windows"):
        analyze(trace, threshold_ma=50.0)


def test_ppk2_export_units_markers_and_voltage(tmp_path: Path):
    lines = ["Timestamp(ms),Current(uA),D0-D7\n"] + [
        f"{i * 0.01:.2f},{5000.0 if 20 <= i < 40 else 200.0},{'01000000' if 20 <= i < 40 else '00000000'}\n"
        for i in range(100)
    ]
    path = write(tmp_path, "".join(lines), "ppk.csv")
    trace = read_trace(path, "ppk2-csv")
    assert trace.t_s[1] == pytest.approx(1e-5) and trace.current_a[0] == pytest.approx(2e-4)
    with pytest.raises(InputError, match="--voltage"):
        analyze(trace, marker="D1")
    doc = analyze(trace, marker="D1", voltage_v=3.0, pad=1)
    # 20 samples x 10 us x 4.8 mA x 3 V = 2.88 uJ
    assert doc["energy_uj_per_inference"] == pytest.approx(2.88)
    bad = write(tmp_path, "".join(lines).replace("01000000", "0100", 1), "bad.csv")
    with pytest.raises(InputError, match="row 22: D0-D7"):
        read_trace(bad, "ppk2-csv")


def test_ppk2_separate_digital_columns_read_like_the_packed_one(tmp_path: Path):
    """Older nRF Connect exports and scripts write D0..D7 as eight columns; both layouts give one trace."""
    rows = [(i * 0.01, 5000.0 if 20 <= i < 40 else 200.0, int(20 <= i < 40)) for i in range(100)]
    packed = "Timestamp(ms),Current(uA),D0-D7\n" + "".join(f"{t:.2f},{c},0{d}000000\n" for t, c, d in rows)
    split = "Timestamp(ms),Current(uA),D0,D1,D2,D3,D4,D5,D6,D7\n" + "".join(
        f"{t:.2f},{c},0,{d},0,0,0,0,0,0\n" for t, c, d in rows
    )
    one = read_trace(write(tmp_path, packed, "packed.csv"), "ppk2-csv")
    two = read_trace(write(tmp_path, split, "split.csv"), "ppk2-csv")
    assert sorted(one.markers) == sorted(two.markers) == [f"D{k}" for k in range(8)]
    for k in range(8):
        np.testing.assert_array_equal(one.markers[f"D{k}"], two.markers[f"D{k}"])
    assert analyze(two, marker="D1", voltage_v=3.0, pad=1)["energy_uj_per_inference"] == pytest.approx(2.88)
    bad = write(tmp_path, split.replace(",0,1,0,", ",0,2,0,", 1), "bad.csv")
    with pytest.raises(InputError, match="row 22: D1 must be 0 or 1"):
        read_trace(bad, "ppk2-csv")


def test_large_trace_chunks_name_the_bad_row(tmp_path: Path, monkeypatch):
    """Rows are parsed CHUNK_ROWS at a time; a bad row in a later chunk is still named by its line."""
    from flightml.power import traces

    monkeypatch.setattr(traces, "CHUNK_ROWS", 16)
    body = [f"{i * 0.001:.3f},{25.0 if i % 10 < 3 else 5.0},3.3,0,0,{int(i % 10 < 3)}\n" for i in range(100)]
    good = read_trace(write(tmp_path, HEADER + "".join(body)))
    assert len(good.t_s) == 100 and good.lines[-1] == good.lines[0] + 99
    body[70] = "0.070,oops,3.3,0,0,0\n"
    with pytest.raises(InputError, match=r"row \d+: column 'current_ma' is not a number: 'oops'"):
        read_trace(write(tmp_path, HEADER + "".join(body), "bad.csv"))


def test_joulescope_export(tmp_path: Path):
    lines = ["#time,current,voltage,power,charge,energy\n"] + [
        f"{i * 1e-4:.4f},{0.02 if 30 <= i < 50 else 0.001},3.3,0,0,0\n" for i in range(100)
    ]
    trace = read_trace(write(tmp_path, "".join(lines), "js.csv"), "joulescope-csv")
    doc = analyze(trace, threshold_ma=10.0, pad=1)
    # 20 samples x 100 us x 19 mA x 3.3 V = 125.4 uJ
    assert doc["energy_uj_per_inference"] == pytest.approx(125.4)


def test_cli_analyze_reports_short_inferences(tmp_path: Path, capsys):
    trace = tmp_path / "short.csv"
    write_simulated(trace, BenchFigures(50e-6, 10.0, 0.5, 3.3), adc="12bit", windows=10, burst=1)
    assert main(["power", "analyze", str(trace), "--marker", "marker", "--out", str(tmp_path / "a.json")]) == 0
    out = capsys.readouterr().out
    assert "WARNING" in out and "--burst N" in out
