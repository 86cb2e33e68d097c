"""Exception classes of the planner, in one place.

``InputError`` is what a user can fix (a bad row, a bad key); the CLI prints its message and
exits with code 2 and never a traceback.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base class of the planner's own errors."""


class InputError(PlannerError):
    """Bad input from a user file or argument; the message names file, row and column."""


class RowError(InputError):
    """One or more bad rows of one input file.

    Parameters
    ----------
    path
        The file that was read.
    problems
        ``(row, column, message)`` triples; ``row`` counts data rows from 1 as a spreadsheet
        shows them (header = row 1, first data row = row 2).
    """

    def __init__(self, path: str, problems: list[tuple[int, str, str]]):
        self.path = path
        self.problems = problems
        lines = [f"{path}: row {row}, column {col}: {msg}" for row, col, msg in problems[:50]]
        if len(problems) > 50:
            lines.append(f"... and {len(problems) - 50} more problems")
        super().__init__("\n".join(lines))
