"""``python -m archive.cli``: the ``podium`` command without its installed script."""

from __future__ import annotations

from archive.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
