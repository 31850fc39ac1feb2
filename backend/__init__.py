"""The agency side of visioguichet: sync ingest, credentials, staff listing (ASGI).

It imports only the shared wire schemas of :mod:`offline_queue`, never the
kiosk's outbox or sync worker (checked by import-linter).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("visioguichet")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
