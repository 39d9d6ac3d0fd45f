"""User-facing errors: one clear line, a fixed exit code, never a traceback.

`InputError` is bad input (a file, field or node that is not what was expected): exit code 2.
`VerdictFail` is a well-formed check that failed (a budget, a verification gate): exit code 1.
"""

from __future__ import annotations


class FlightmlError(Exception):
    """Base class; `exit_code` is what the CLI returns."""

    exit_code = 2


class InputError(FlightmlError):
    """Bad input. The message names the file, field or node and what was expected."""

    exit_code = 2


class VerdictFail(FlightmlError):
    """A check ran and failed; the message names the failing line."""

    exit_code = 1


class ToolMissing(FlightmlError):
    """An external tool (compiler, emulator) is not installed; the message says how to enable it."""

    exit_code = 2
