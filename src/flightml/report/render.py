"""The `report` stage: sections -> report.md, report.html (self-contained) and the verdict.

Sections are discovered in flightml.report.sections and sorted by ORDER. The verdict is "pass"
when every check passed, "fail" when one failed, and "incomplete" when none failed but one could
not be measured (passed is None, e.g. the Cortex-M targets skipped without the ARM toolchain).
"""

from __future__ import annotations

import base64
import html
import importlib
import pkgutil
from pathlib import Path

import markdown

from flightml import __version__
from flightml.artifacts import RunDir, atomic_write_text
from flightml.config import Config
from flightml.report import sections as sections_package
from flightml.report.base import Check, Figures, Section, md_table

REPORT_MD = "report.md"
REPORT_HTML = "report.html"

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#1b1f24;line-height:1.45}
table{border-collapse:collapse;margin:.8em 0}th,td{border:1px solid #ccd;padding:.25em .6em;text-align:left}
th{background:#f0f2f6}img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.pass{color:#137333;font-weight:bold}.fail{color:#b3261e;font-weight:bold}.na{color:#666}
code{background:#f4f4f4;padding:0 .2em}
"""


def collect_sections(run: RunDir) -> list[Section]:
    figures = Figures(run.root)
    found = []
    for info in sorted(pkgutil.iter_modules(sections_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{sections_package.__name__}.{info.name}")
        section = module.render(run, figures)
        if section is not None:
            section.order = getattr(module, "ORDER", section.order)
            found.append(section)
    return sorted(found, key=lambda s: (s.order, s.title))


def verdict_of(checks: list[Check]) -> str:
    """'fail' if a check failed, else 'incomplete' if one could not be measured, else 'pass'."""
    if any(c.passed is False for c in checks):
        return "fail"
    return "incomplete" if any(c.passed is None for c in checks) else "pass"


def _mark(passed: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a"}[passed]


def checks_markdown(checks: list[Check]) -> str:
    return md_table(["check", "result", "detail"], [[c.name, _mark(c.passed), c.detail] for c in checks])


def render_markdown(run: RunDir, sections: list[Section], verdict: str, checks: list[Check]) -> str:
    parts = [
        "# flightml flight-readiness report",
        f"Run `{run.root}` · flightml {__version__} · verdict: **{verdict.upper()}**",
        "## Verdict",
        checks_markdown(checks) if checks else "No checks were run.",
    ]
    for section in sections:
        parts.append(f"## {section.title}")
        parts.append(section.markdown)
        parts += [f"![{f.stem}]({f.relative_to(run.root).as_posix()})" for f in section.figures]
    return "\n\n".join(parts) + "\n"


def _embed_images(body: str, run: RunDir) -> str:
    figures = sorted(run.path("figures").glob("*.png")) if run.path("figures").is_dir() else []
    for figure in figures:
        rel = figure.relative_to(run.root).as_posix()
        data = base64.b64encode(figure.read_bytes()).decode()
        body = body.replace(f'src="{rel}"', f'src="data:image/png;base64,{data}"')
    return body


def render_html(run: RunDir, md_text: str, verdict: str) -> str:
    body = markdown.markdown(md_text, extensions=["tables"])
    body = body.replace("<td>PASS</td>", '<td class="pass">PASS</td>')
    body = body.replace("<td>FAIL</td>", '<td class="fail">FAIL</td>')
    body = body.replace("<td>n/a</td>", '<td class="na">n/a</td>')
    body = body.replace(f"<strong>{verdict.upper()}</strong>", f'<strong class="{verdict}">{verdict.upper()}</strong>')
    title = html.escape(f"flightml report: {run.root.name}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body>\n{_embed_images(body, run)}\n</body></html>\n"
    )


def report_stage(run: RunDir, config: Config) -> None:
    import matplotlib

    matplotlib.use("Agg")
    sections = collect_sections(run)
    checks = [check for section in sections for check in section.checks]
    verdict = verdict_of(checks)
    md_text = render_markdown(run, sections, verdict, checks)
    atomic_write_text(run.path(REPORT_MD), md_text)
    atomic_write_text(run.path(REPORT_HTML), render_html(run, md_text, verdict))
    run.update_summary(
        {
            "verdict": verdict,
            "checks_failed": [c.name for c in checks if c.passed is False],
            "checks_not_measured": [c.name for c in checks if c.passed is None],
        }
    )


def report_path(run_root: Path) -> Path:
    return Path(run_root) / REPORT_HTML
