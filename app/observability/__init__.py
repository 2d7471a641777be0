"""Operability: request ids, structured (JSON) logs and Prometheus metrics.

- Every response carries `X-Request-ID`: a sane incoming one is echoed, else one is made.
- `app.observability.logging` formats log records as one JSON object per line; `raci serve`
  uses it for uvicorn's loggers too (RACI_LOG_LEVEL, RACI_LOG_JSON).
- `app.observability.metrics` serves `/metrics` in the Prometheus text format.
"""
