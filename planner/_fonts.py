"""The Japanese font the planner ships with (IPAexGothic, from the matplotlib-fontja package).

Charts and PDF sheets use it through matplotlib; HTML pages load a copy placed beside them, so
Japanese renders even on a PC without Japanese fonts and without any network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FONT_FAMILY = "IPAexGothic"
WEB_FONT_DIR = "fonts"


def font_file() -> Path:
    """Path of the packaged IPAexGothic TrueType file."""
    import matplotlib_fontja

    return Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"


def install_web_font(out_dir: str | Path) -> str:
    """Copy the font next to HTML pages in ``out_dir`` (once) and return the CSS to load it."""
    target = Path(out_dir) / WEB_FONT_DIR / font_file().name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(font_file(), target)
    return (
        f"@font-face{{font-family:'{FONT_FAMILY}';"
        f"src:url('{WEB_FONT_DIR}/{target.name}') format('truetype');}}"
    )
