#!/usr/bin/env python3
"""Write ``appkit/static/ui/markdown.css``: the colours of highlighted code in Markdown
(Pygments' light and dark styles, see ``appkit.ui.markdown.highlight_css``).

    python scripts/highlight_css.py
"""

from __future__ import annotations

from pathlib import Path

from appkit.ui.markdown import highlight_css

TARGET = Path(__file__).resolve().parents[1] / "appkit" / "static" / "ui" / "markdown.css"

if __name__ == "__main__":
    TARGET.write_text(highlight_css(), encoding="utf-8")
    print(f"wrote {TARGET}")
