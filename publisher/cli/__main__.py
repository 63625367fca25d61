"""``python -m publisher.cli``: the same as the ``publisher`` script (the daemon tests start it this way)."""

from publisher.cli import main

main()
