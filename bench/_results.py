"""Shared by the benchmark scripts: the machine line and writing one section of RESULTS.md."""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    """Date, cores, CPU model, Python and OR-Tools versions: the line every table carries."""
    import ortools

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{date.today().isoformat()}, {os.cpu_count()} cores ({cpu}), Python "
        f"{platform.python_version()}, OR-Tools {ortools.__version__}"
    )


def write(section: str, name: str) -> None:
    """Replace the section between ``<!-- name:start -->`` and ``<!-- name:end -->`` of
    RESULTS.md (appended when absent); every other section stays as it is."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
