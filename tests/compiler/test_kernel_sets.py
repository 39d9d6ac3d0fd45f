"""A package's kernel sets: the DSP set is its own files, completed by the portable files it lacks."""

from __future__ import annotations

from flightml.compiler import emit

KERNELS = emit.RUNTIME / "kernels"


def test_dsp_set_overrides_by_name_and_takes_the_rest_from_portable() -> None:
    dsp, portable = emit.kernel_set("dsp"), emit.kernel_set("portable")
    assert set(portable) <= set(dsp)
    for name, path in dsp.items():
        assert path == (KERNELS / "dsp" / name if (KERNELS / "dsp" / name).is_file() else KERNELS / "portable" / name)
    assert all(path.parent.name == "portable" for path in portable.values())
    assert "fm_dsp.h" in dsp and "fm_dsp.h" not in portable
