"""The fleet view: kiosks report their health, technicians watch alerts and send commands."""

from backend.fleet.batch import HeartbeatWriter
from backend.fleet.routes import STATIC_DIR, alert_sweeper, router

__all__ = ["STATIC_DIR", "HeartbeatWriter", "alert_sweeper", "router"]
