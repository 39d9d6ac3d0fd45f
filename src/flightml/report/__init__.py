"""The flight-readiness report: sections discovered from flightml.report.sections."""
