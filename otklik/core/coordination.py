"""Coordination between processes and machines: locks, shared rate limits and heartbeats.

Several web replicas and Celery workers run at once in production; whatever they must agree on
goes through here, so the rest of the code never talks to Redis itself:

- ``lock(name, ttl=...)`` — at most one holder at a time (e.g. one poll of a source). Non-blocking:
  it yields ``False`` when someone else holds it, and the caller skips the work.
- ``throttle(key, rate=..., burst=...)`` — a token bucket shared by every process: returns how many
  seconds the caller must wait before its call (0.0 when it may go now), and has already reserved
  its slot, so N workers together never exceed ``rate`` calls a second.
- ``stamp(name)`` / ``stamped_at(name)`` — "I was alive at"; ``/healthz`` reads the worker's and
  beat's stamps.

Two back-ends, chosen once per process from the settings:

- **Redis** (``OTKLIK_REDIS_URL``, or the broker when it is Redis): locks are ``SET NX PX`` with a
  random token released by compare-and-delete, the bucket is a Lua script, stamps are plain keys
  that expire. This is what several machines need.
- **Local files** (the embedded default, SQLite on one machine): ``fcntl`` locks on files under
  ``OTKLIK_DATA_DIR/run``; a lock is released by the kernel when its holder dies, so a crashed
  worker never leaves a source locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

PREFIX = "otklik:"
STAMP_TTL = 24 * 3600

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Backend(Protocol):
    def acquire(self, name: str, ttl: float) -> str | None: ...
    def release(self, name: str, token: str) -> None: ...
    def reserve(self, key: str, rate: float, burst: float, now: float) -> float: ...
    def stamp(self, name: str, at: float) -> None: ...
    def stamped_at(self, name: str) -> float | None: ...


# --------------------------------------------------------------------------------------------
# Redis

# Token bucket: state is (tokens, updated). A caller takes one token; when the bucket is empty
# the token is borrowed (tokens go negative) and the caller is told how long to wait for it, so
# callers queue up fairly instead of all retrying at once.
_RESERVE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisBackend:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._reserve = self.client.register_script(_RESERVE)
        self._release = self.client.register_script(_RELEASE)

    def acquire(self, name: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        ok = self.client.set(f"{PREFIX}lock:{name}", token, nx=True, px=max(1, int(ttl * 1000)))
        return token if ok else None

    def release(self, name: str, token: str) -> None:
        self._release(keys=[f"{PREFIX}lock:{name}"], args=[token])

    def reserve(self, key: str, rate: float, burst: float, now: float) -> float:
        # Redis' own clock would be better than ours across machines, but TIME is not allowed in
        # scripts that write on Redis < 5; hosts run NTP, and a skew only shifts one slot.
        wait = self._reserve(keys=[f"{PREFIX}rate:{key}"], args=[rate, burst, now])
        return float(wait)

    def stamp(self, name: str, at: float) -> None:
        self.client.set(f"{PREFIX}stamp:{name}", repr(at), ex=STAMP_TTL)

    def stamped_at(self, name: str) -> float | None:
        value = self.client.get(f"{PREFIX}stamp:{name}")
        return float(value) if value is not None else None


# --------------------------------------------------------------------------------------------
# local files (one machine)


class FileBackend:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._held: dict[str, int] = {}

    def _path(self, kind: str, name: str) -> Path:
        safe = _SAFE.sub("_", name)[:80]
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        return self.folder / f"{kind}-{safe}-{digest}"

    def acquire(self, name: str, ttl: float) -> str | None:
        fd = os.open(self._path("lock", name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        token = secrets.token_hex(8)
        self._held[token] = fd
        return token

    def release(self, name: str, token: str) -> None:
        fd = self._held.pop(token, None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def reserve(self, key: str, rate: float, burst: float, now: float) -> float:
        path = self._path("rate", key)
        with open(path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            try:
                state = json.loads(fh.read() or "{}")
            except ValueError:
                state = {}
            tokens = float(state.get("tokens", burst))
            updated = float(state.get("updated", now))
            tokens = min(burst, tokens + max(0.0, now - updated) * rate) - 1
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"tokens": tokens, "updated": now}))
            fh.flush()
        return 0.0 if tokens >= 0 else -tokens / rate

    def stamp(self, name: str, at: float) -> None:
        path = self._path("stamp", name)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(repr(at), encoding="utf-8")
        tmp.replace(path)

    def stamped_at(self, name: str) -> float | None:
        try:
            return float(self._path("stamp", name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def redis_url() -> str | None:
    """Where the shared state lives: ``OTKLIK_REDIS_URL``, else the broker if it is Redis."""
    url = getattr(settings, "OTKLIK_REDIS_URL", "") or ""
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url and broker.startswith(("redis://", "rediss://")):
        url = broker
    return url or None


@cache
def backend() -> Backend:
    url = redis_url()
    if url:
        return RedisBackend(url)
    return FileBackend(Path(settings.OTKLIK_DATA_DIR) / "run")


def backend_name() -> str:
    return "redis" if isinstance(backend(), RedisBackend) else "files"


# --------------------------------------------------------------------------------------------
# the interface


def _ns(name: str) -> str:
    """Names are per database: two installations (or two test runs) sharing one Redis never meet."""
    from django.db import connection

    db = str(connection.settings_dict.get("NAME") or "")
    return f"{hashlib.sha1(db.encode()).hexdigest()[:8]}:{name}"


@contextlib.contextmanager
def lock(name: str, *, ttl: float = 600.0) -> Iterator[bool]:
    """Hold ``name`` for the block if nobody else does; yields whether it is held.

    ``ttl`` bounds how long a holder that died keeps it on Redis: make it longer than the work.
    """
    store = backend()
    key = _ns(name)
    token = store.acquire(key, ttl)
    try:
        yield token is not None
    finally:
        if token is not None:
            store.release(key, token)


def throttle(key: str, *, rate: float, burst: float = 1.0, now: float | None = None) -> float:
    """Reserve one call under ``rate`` calls a second shared by all processes; the seconds to wait."""
    if rate <= 0:
        return 0.0
    return backend().reserve(_ns(key), rate, max(1.0, burst), time.time() if now is None else now)


def wait_turn(key: str, *, rate: float, burst: float = 1.0, sleep: Any = time.sleep) -> float:
    """``throttle`` and sleep for as long as it says; returns the time slept."""
    wait = throttle(key, rate=rate, burst=burst)
    if wait > 0:
        sleep(wait)
    return wait


def stamp(name: str, *, at: float | None = None) -> None:
    backend().stamp(_ns(name), time.time() if at is None else at)


def stamped_at(name: str) -> float | None:
    return backend().stamped_at(_ns(name))


def rate_limited(send: Any, *, key: str, rate: float, burst: float = 1.0, sleep: Any = time.sleep) -> Any:
    """Wrap a connector's ``send`` so every process together keeps under ``rate`` calls a second."""

    def send_in_turn(*args: Any, **kwargs: Any) -> Any:
        wait_turn(key, rate=rate, burst=burst, sleep=sleep)
        return send(*args, **kwargs)

    return send_in_turn


def network_rate(network: str) -> float:
    """Calls a second allowed to one credential of ``network`` (``OTKLIK_RATE_LIMITS``); 0 = unlimited."""
    limits: dict[str, float] = getattr(settings, "OTKLIK_RATE_LIMITS", {}) or {}
    return float(limits.get(network, 0.0))


def credential_key(network: str, credential: str) -> str:
    """A rate-limit key per network and token, without the token itself in Redis."""
    return f"{network}:{hashlib.sha256(credential.encode()).hexdigest()[:16]}"
