"""The kiosk's durable outbox and its sync to the agency back end.

The wire schemas in :mod:`offline_queue.schemas` are shared with the back end;
everything else here runs on the kiosk only.
"""
