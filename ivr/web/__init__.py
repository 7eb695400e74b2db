"""The operator page: `ivr web`."""
