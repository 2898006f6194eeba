"""``otklik serve``: the web server, a Celery worker and Celery beat together (and, for the demo,
the fake network servers the demo sources point at). Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_LOGINS = (
    ("curator", "Куратор"),
    ("executor-zhkh", "Исполнитель, отдел ЖКХ"),
    ("executor-roads", "Исполнитель, дорожный отдел"),
    ("executor-edu", "Исполнитель, управление образования"),
    ("head", "Глава округа"),
    ("responsible", "Ответственное должностное лицо"),
    ("admin", "Администратор (Django admin)"),
)


class Command(BaseCommand):
    help = "Запустить веб-сервер, обработчик задач Celery и планировщик Celery beat."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("OTKLIK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("OTKLIK_PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="без Celery worker и beat")
        parser.add_argument("--no-fakes", action="store_true", help="не запускать имитаторы ВКонтакте, Telegram, ОК")

    def handle(self, *args: Any, **opts: Any) -> None:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        env["PYTHONUNBUFFERED"] = "1"
        py = sys.executable
        procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        # Quiet task logs by default so the URL and the logins stay on screen.
        task_log_level = os.environ.get("OTKLIK_TASK_LOG_LEVEL", "WARNING")

        def start(name: str, argv: list[str]) -> None:
            procs.append((name, subprocess.Popen(argv, env=env, start_new_session=True)))

        if not opts["no_fakes"]:
            for name, argv in _fake_servers(py):
                start(name, argv)
        start(
            "web",
            [py, "-m", "otklik.cli", "runserver", f"{opts['host']}:{opts['port']}", "--noreload", "--insecure"],
        )
        if not opts["no_worker"]:
            start(
                "worker",
                [
                    py,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    f"--loglevel={task_log_level}",
                    "--concurrency=2",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
            )
            start(
                "beat",
                [
                    py,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "beat",
                    f"--loglevel={task_log_level}",
                    "--schedule",
                    str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
                ],
            )
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Отклик работает: {url}"))
        self.stdout.write(f"  API: {url}api/docs    администрирование: {url}admin/")
        self.stdout.write("  Демонстрационные пользователи (пароль у всех: otklik):")
        for login, title in DEMO_LOGINS:
            self.stdout.write(f"    {login:<16} {title}")
        self.stdout.write("  Остановить всё: Ctrl-C")
        self.stdout.write("")
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(
                            f"Процесс «{name}» завершился с кодом {proc.returncode}; останавливаю остальные."
                        )
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for _, proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for _, proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            self.stdout.write("Остановлено.")


def _fake_servers(py: str) -> list[tuple[str, list[str]]]:
    """The demo's sources point at local fakes of the networks (see ``otklik demo``)."""
    from otklik.inbox.models import Source

    wanted: list[tuple[str, list[str]]] = []
    for source in Source.objects.filter(enabled=True).exclude(config__demo_fake_port=None):
        port = (source.config or {}).get("demo_fake_port")
        module = (source.config or {}).get("demo_fake_module")
        if port and module and all(str(port) not in " ".join(a) for _, a in wanted):
            wanted.append((f"fake-{source.kind}", [py, "-m", module, "--port", str(port), "--seed", "demo"]))
    return wanted
