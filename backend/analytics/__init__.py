"""Service analytics: the kiosks' service events in, the agency's figures out.

``ingest`` stores the events kiosks send (exactly once), ``queries`` turns a
period and filters into the dashboard's figures, ``costs`` holds the cost
inputs and the cost per transaction, ``export`` writes the CSV, ``routes``
serves all of it and the dashboard page in ``static/``. Nothing here reads a
citizen's data: the events hold codes only, and the calls' context, notes and
phone numbers are never selected.
"""
