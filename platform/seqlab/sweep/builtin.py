"""The built-in suites shipped inside the package (``seqlab/suites/*.yaml``), found by name.

``seqlab sweep architectures`` names one; a path to a suite file works as well.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.sweep.suite import SuiteError

SUITES_FOLDER = Path(__file__).resolve().parent.parent / "suites"
"""Where the package keeps its suite files (package data, installed with seqlab)."""


def builtin_suites() -> dict[str, Path]:
    """The built-in suites by name (the file name without ``.yaml``), sorted by name."""
    return {path.stem: path for path in sorted(SUITES_FOLDER.glob("*.yaml"))}


def resolve_suite(name_or_path: str) -> Path:
    """The suite file a command-line argument means: an existing file, else a built-in name.

    :raises SuiteError: when it is neither, listing the built-in names.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    suites = builtin_suites()
    if name_or_path in suites:
        return suites[name_or_path]
    raise SuiteError(
        f"suite {name_or_path!r}: no such file and no built-in suite of that name "
        f"(built-in: {', '.join(suites)})"
    )
