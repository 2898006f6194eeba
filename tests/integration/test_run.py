"""What `make run` does: demo data through the real workflow, and `otklik serve` starting and
stopping the web server, the worker and beat together."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from otklik.cases.models import Case, CaseEvent
from otklik.inbox.models import Message
from otklik.organization.models import Membership, Role


@pytest.mark.django_db
def test_demo_loads_an_administration_with_every_role_and_cases_in_many_states() -> None:
    call_command("demo")
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    states = Counter(Case.objects.values_list("state", flat=True))
    assert {"triage", "routed", "in_work", "review", "rework", "approved", "interim", "closed", "refused"} <= set(
        states
    )
    assert Message.objects.filter(status=Message.Status.NEW).count() >= 8
    assert Message.objects.count() >= 30
    # Every case was made through the actions: it has a detection event by the curator.
    assert CaseEvent.objects.filter(action="detect").count() == Case.objects.count()
    # A second run with --if-empty leaves the data alone.
    call_command("demo", "--if-empty")
    assert Message.objects.count() == sum(1 for _ in Message.objects.all())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "otklik.cli", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _read_until(proc: subprocess.Popen[bytes], marker: str, timeout: float = 420) -> list[str]:
    """Lines of ``proc`` up to the one containing ``marker`` (fails on exit or timeout).

    Reads the pipe's descriptor itself: ``readline()`` on the buffered pipe would take several
    lines into Python's buffer, where the selector cannot see them, and wait for more that never
    come (the banner is written in one piece).
    """
    import selectors

    lines: list[str] = []
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    sel.register(fd, selectors.EVENT_READ)
    pending = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=1):
            chunk = os.read(fd, 65536)
            if not chunk:  # end of output: the process has closed it
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                lines.append(line.decode())
                if marker in lines[-1]:
                    return lines
    raise AssertionError(f"no {marker!r} in: {[*lines, pending.decode(errors='replace')]}")


def _children(pid: int) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


@pytest.mark.xdist_group("celery")
@pytest.mark.parametrize("mode", ["--dev", "gunicorn"])
def test_serve_starts_web_worker_and_beat_prints_the_address_last_and_ctrl_c_stops_them_all(
    tmp_path: Path, mode: str
) -> None:
    env = dict(os.environ, OTKLIK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.dev")
    env.pop("OTKLIK_DATABASE_URL", None)
    env.pop("OTKLIK_BROKER_URL", None)
    env["OTKLIK_WEB_WORKERS"] = "2"
    subprocess.run([sys.executable, "-m", "otklik.cli", "migrate", "-v0"], env=env, check=True, timeout=180)
    port = _free_port()
    args = ["--port", str(port), "--no-fakes"] + (["--dev"] if mode == "--dev" else [])
    proc = _serve(env, *args)
    try:
        lines = _read_until(proc, "Отклик работает")
        # The banner is the last thing on screen: the web server answers, the worker and beat
        # have started (and said whatever they say at start) before it.
        assert lines[-1].endswith(f"http://127.0.0.1:{port}/"), lines
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
            assert r.status == 200
            server = r.headers.get("Server", "")
        assert ("gunicorn" in server) == (mode == "gunicorn")
        children = _children(proc.pid)
        assert len(children) == 3, (children, lines)  # web, worker, beat
        # The system checks ran once, in serve itself, not again in each process.
        assert sum("System check identified" in line for line in lines) <= 1
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=60)[0].decode()
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        if proc.poll() is None:
            # serve starts each process in its own session: a failed run must not leave them behind
            for pid in _children(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Остановлено." in out
    assert proc.returncode == 0


def test_serve_names_a_taken_port_and_the_fix_and_starts_nothing(tmp_path: Path) -> None:
    import socket

    env = dict(os.environ, OTKLIK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.dev")
    env.pop("OTKLIK_DATABASE_URL", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "otklik.cli", "serve", "--port", str(port), "--skip-checks"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"Порт {port} на 127.0.0.1 уже занят" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Отклик работает" not in result.stdout


@pytest.mark.django_db
def test_fake_networks_get_free_ports_and_the_demo_sources_follow_them(tmp_path: Path) -> None:
    from otklik.core.management.commands.serve import _fake_servers

    call_command("demo")
    from otklik.inbox.models import Source

    before = {s.pk: (s.base_url, dict(s.config)) for s in Source.objects.exclude(config__demo_fake_module=None)}
    fakes = _fake_servers(sys.executable)
    ports = [port for _name, _argv, port in fakes]
    assert len(set(ports)) == len(fakes) == 5
    for source in Source.objects.filter(pk__in=before):
        port = source.config["demo_fake_port"]
        assert port in ports
        where = source.base_url or source.config["url"]
        assert f":{port}" in where
        assert where.replace(f":{port}", "") == (before[source.pk][0] or before[source.pk][1]["url"]).replace(
            f":{before[source.pk][1]['demo_fake_port']}", ""
        )
