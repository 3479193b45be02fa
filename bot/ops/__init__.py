"""Operations: what an operator runs and reads.

- `embedded`: the embedded redis-server (started when `REDIS_URL` is unset);
- `doctor`: `grokwatch doctor`, checks that say what to fix;
- `metrics`: the Prometheus text of `/metrics`.
"""
