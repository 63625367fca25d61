"""Stand-in platform servers over loopback HTTP, one module per platform, each enforcing that platform's contract.

``serve(app)`` runs an aiohttp application on 127.0.0.1 in the running event loop; ``serve_in_thread(factory)``
runs one in a thread of its own, for synchronous tests and for daemons started as subprocesses.
"""

from tests.fakes.server import FAULTS, Clock, Stand, StandIn, serve, serve_in_thread, stand

__all__ = ["FAULTS", "Clock", "Stand", "StandIn", "serve", "serve_in_thread", "stand"]
