"""Telling people about alerts: subscriptions, the on-call rota, e-mails, webhooks.

Nothing here runs inside the alert lifecycle. Periodic jobs (``jobs.JOBS``) read the
``alert_events`` log after a cursor, decide who is told (``routing``), queue rows in the
``notifications`` outbox and send them with retries (``outbox``); unacknowledged
critical pages escalate to the on-call secondary (``escalation``), and non-critical
alerts of digest subscribers go out once a day (``digest``).
"""
