"""Board files added to a generated C package: a Makefile and a CMakeLists.txt for users' own
boards, a bare-metal example loop and a FreeRTOS periodic inference task, with a README.

`add_board_files(c_dir, name)` is called by the compile stage after the C is generated; the files are
rendered from templates/*.j2 with the API prefix `name` and written atomically, one by one. The board
files check the constant image (self-test at boot, one scrub chunk per period), so the integrity
files (flightml.faults.protect) are written first.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from flightml.artifacts import atomic_write_text
from flightml.errors import InputError
from flightml.faults.protect import SCRUB_CHUNK_BYTES, add_integrity_files

# template -> path inside the package
BOARD_FILES = {
    "Makefile.j2": "Makefile",
    "CMakeLists.txt.j2": "CMakeLists.txt",
    "main_baremetal.c.j2": "board/main_baremetal.c",
    "infer_task.c.j2": "board/infer_task.c",
    "README.md.j2": "board/README.md",
}


def add_board_files(c_dir: Path, name: str, scrub_chunk: int = SCRUB_CHUNK_BYTES) -> list[Path]:
    """Write integrity.{c,h} and the board files into `c_dir` (a compiled package for API prefix
    `name`, scrubbing `scrub_chunk` bytes per period); returns the board files."""
    c_dir = Path(c_dir)
    if not (c_dir / "model.h").is_file():
        raise InputError(f"{c_dir}: not a compiled model directory (model.h missing)")
    if not name.isidentifier():
        raise InputError(f"name: {name!r} is not a C identifier")
    add_integrity_files(c_dir, name, scrub_chunk)
    env = Environment(keep_trailing_newline=True, undefined=StrictUndefined, autoescape=False)
    templates = resources.files("flightml.mcu.package") / "templates"
    written = []
    for template, rel in BOARD_FILES.items():
        text = env.from_string(templates.joinpath(template).read_text(encoding="utf-8"))
        target = c_dir / rel
        atomic_write_text(target, text.render(name=name, NAME=name.upper()))
        written.append(target)
    return written
