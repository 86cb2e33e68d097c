"""The Japanese font the planner ships with (IPAexGothic, from the matplotlib-fontja package).

Charts and PDF sheets use it through matplotlib; HTML pages embed the few glyphs they use, so
Japanese renders even on a PC without Japanese fonts and without any network.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
from pathlib import Path

EMBEDDED_FAMILY = '"Junkai Embedded Gothic"'
"""CSS family name of the embedded glyphs; put it after the system fonts in a font stack."""


def japanese_font_path() -> Path:
    """IPAexGothic (``ipaexg.ttf``) from ``matplotlib-fontja``, found without importing it.

    Importing ``matplotlib_fontja`` changes matplotlib's global default font as a side effect.
    """
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib-fontja is not installed (it ships the Japanese font)")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"


@functools.lru_cache(maxsize=1)
def matplotlib_family() -> str:
    """Register IPAexGothic with matplotlib's font manager (once per process) and return the
    family name to put in ``rc_context({"font.family": ...})``; the global default is untouched."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(japanese_font_path()))
    return "IPAexGothic"


def embedded_font_css(page: str) -> str:
    """``@font-face`` with IPAexGothic cut down to the page's non-ASCII characters.

    A few tens of kB inline (the IPA Font License lets a document embed the font for its own
    display); empty when the page has no non-ASCII text.
    """
    chars = "".join(sorted({c for c in page if ord(c) > 127}))
    if not chars:
        return ""
    from fontTools import subset  # a dependency of matplotlib

    options = subset.Options()
    options.name_IDs = ["*"]  # keep the licence and copyright names
    buffer = io.BytesIO()
    with subset.load_font(str(japanese_font_path()), options) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        subset.save_font(font, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"@font-face {{ font-family: {EMBEDDED_FAMILY}; "
        f'src: url(data:font/ttf;base64,{data}) format("truetype"); }}'
    )
