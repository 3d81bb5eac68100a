"""Writing a file: the one way oidclint replaces one, whether its own output (a report, a
baseline) or a scanned file it fixes (``scan --fix``).

The new content goes to a temporary file beside the target, which is then renamed over it,
so a reader never sees half a file and a failure leaves the target as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def replace_file(path: Path, data: bytes, mode: int,
                 before_replace: Callable[[], None] = lambda: None) -> None:
    """Replace ``path`` with ``data`` at once, with permissions ``mode``. ``before_replace``
    runs once the content is written and may raise to leave the target alone (a file that
    changed since it was read)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
        before_replace()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
