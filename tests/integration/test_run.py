"""What `make run` does: demo data through the real workflow, and `otklik serve` starting and
stopping the web server, the worker and beat together."""

from __future__ import annotations

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


@pytest.mark.xdist_group("celery")
def test_serve_starts_web_worker_and_beat_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    env = dict(os.environ, OTKLIK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.dev")
    env.pop("OTKLIK_DATABASE_URL", None)
    env.pop("OTKLIK_BROKER_URL", None)
    subprocess.run([sys.executable, "-m", "otklik.cli", "migrate", "-v0"], env=env, check=True, timeout=180)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "otklik.cli", "serve", "--port", str(port), "--no-fakes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200
        children = [
            int(p)
            for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        ]
        assert len(children) == 3  # web, worker, beat
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=60)[0].decode()
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Отклик работает" in out and "curator" in out and "Остановлено." in out
    assert proc.returncode == 0
