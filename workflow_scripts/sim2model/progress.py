"""Progress bars that suit both terminals and job log files."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

#: Seconds between updates when stderr is a log file rather than a terminal.
LOG_INTERVAL = 30.0


def progress(total: int, desc: str, *, enabled: bool = True, **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr: live in a terminal, one line every 30 s in a log file."""
    interactive = sys.stderr.isatty()
    return tqdm(
        total=total,
        desc=desc,
        disable=not enabled,
        file=sys.stderr,
        mininterval=0.1 if interactive else LOG_INTERVAL,
        ascii=not interactive,
        **kwargs,
    )
