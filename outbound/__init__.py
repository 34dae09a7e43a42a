"""Calls out to other services: Twilio's REST API, SMS, the recordings' storage and media.

Nothing here imports calllog, staff, ivr or webhooks: the decisions are the callers'.
"""
