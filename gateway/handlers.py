"""The gateway consumes no events; its worker only relays the gateway's outbox (account events)."""
HANDLERS: dict = {}
