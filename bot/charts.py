"""Charts drawn with matplotlib (headless Agg backend) into the data directory."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

logger = logging.getLogger(__name__)


class Charts:
    """Implements `handlers.ports.ChartMaker`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def weekly(self, title: str, series: Sequence[tuple[date, int]]) -> Path | None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            from matplotlib import pyplot as plt
            from matplotlib.ticker import MaxNLocator
        except ImportError:  # charts are optional: the text version is always there
            logger.warning("matplotlib is not installed; charts are text only")
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(repr((title, list(series))).encode()).hexdigest()[:12]
        path = self.folder / f"trend-{digest}.png"
        if path.exists():
            return path
        fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
        try:
            days = [datetime(d.year, d.month, d.day) for d, _ in series]
            ax.bar(days, [n for _, n in series], width=5, color="#3b6ea5")  # type: ignore[arg-type]
            ax.set_title(f"{title}: articles per week")
            ax.set_ylabel("articles")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            fig.autofmt_xdate()
            fig.tight_layout()
            tmp = path.with_suffix(".tmp.png")
            fig.savefig(tmp, format="png")
            tmp.replace(path)
        finally:
            plt.close(fig)
        return path
