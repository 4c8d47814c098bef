"""Alerting: rules evaluated on ingest, domain detectors run by the scheduler, and the
lifecycle of the alerts they raise (open → acknowledged → resolved, with history).

Notifications are not sent from here: the ``beffroi.notifications`` package reads the
alerts and their events and tells the right people.
"""
