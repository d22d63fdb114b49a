"""``python -m callwarden``: the same as the ``callwarden`` command."""

from __future__ import annotations

from callwarden.cli.app import main  # noqa: TID251  (the entry point is the CLI's own)

if __name__ == "__main__":
    main()
