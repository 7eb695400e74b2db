"""Operations: `ivr doctor`, Prometheus metrics, structured logs with the call's context, and retention."""
