"""Report sections, one module each: `ORDER: int` and `render(run, figures) -> Section | None`."""
