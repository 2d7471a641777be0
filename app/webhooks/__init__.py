"""Webhooks routed by RACI letter: endpoints, the transactional outbox and its delivery.

See app.webhooks.routing for who receives which event, app.webhooks.outbox for how an event
is written in the transaction of the change, and app.webhooks.delivery for the worker that
signs (Standard Webhooks) and sends them, at least once.
"""
