"""``otklik serve``: the web server, Celery worker(s) and Celery beat, each its own process.

- ``otklik serve`` runs gunicorn (``config/gunicorn.py``: 2 × cores + 1 workers), a worker
  taking every queue, and beat, and stops them all on Ctrl-C or SIGTERM. ``--dev`` runs Django's
  development server instead of gunicorn (``make run``).
- ``otklik serve --only web|worker|beat`` replaces itself with that one process: what the systemd
  units in ``deploy/systemd`` run, one unit each.
- With the demo's sources in the database it also starts the local fake networks they point at,
  each on a free port the system gives (the sources are re-pointed at it).

Before starting anything it checks that the web port is free and names it if not; it waits
until every process answers, and prints the address and the demo logins as its last lines.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEMO_LOGINS = (
    ("curator", "Куратор"),
    ("executor-zhkh", "Исполнитель, отдел ЖКХ"),
    ("executor-roads", "Исполнитель, дорожный отдел"),
    ("executor-edu", "Исполнитель, управление образования"),
    ("head", "Глава округа"),
    ("responsible", "Ответственное должностное лицо"),
    ("admin", "Администратор (Django admin)"),
)
READY_TIMEOUT = 180.0


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_taken_message(host: str, port: int) -> str:
    return (
        f"Порт {port} на {host} уже занят другой программой — Отклик не запущен.\n"
        f"Запустите на другом порту: make run PORT={port + 1}  (или: otklik serve --port {port + 1},"
        f" или OTKLIK_PORT={port + 1})."
    )


class Command(BaseCommand):
    help = "Запустить веб-сервер, обработчик задач Celery и планировщик Celery beat."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("OTKLIK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("OTKLIK_PORT") or 8000))
        parser.add_argument("--dev", action="store_true", help="сервер разработки Django вместо gunicorn")
        parser.add_argument(
            "--only", choices=["web", "worker", "beat"], help="запустить только этот процесс (для systemd)"
        )
        parser.add_argument("--workers", type=int, help="процессов веб-сервера (по умолчанию 2 × ядер + 1)")
        parser.add_argument(
            "--queues",
            default=os.environ.get("OTKLIK_WORKER_QUEUES", ""),
            help="очереди обработчика через запятую (по умолчанию все)",
        )
        parser.add_argument("--concurrency", type=int, default=int(os.environ.get("OTKLIK_WORKER_CONCURRENCY") or 2))
        parser.add_argument("--no-worker", action="store_true", help="без Celery worker и beat")
        parser.add_argument(
            "--no-fakes", action="store_true", help="не запускать имитаторы сетей (ВКонтакте, Telegram, MAX, ОК, форум)"
        )

    # ----------------------------------------------------------------------------------------
    # the processes

    def _env(self, opts: dict[str, Any]) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        env["PYTHONUNBUFFERED"] = "1"
        env["OTKLIK_HOST"], env["OTKLIK_PORT"] = opts["host"], str(opts["port"])
        if opts.get("workers"):
            env["OTKLIK_WEB_WORKERS"] = str(opts["workers"])
        return env

    def _web_argv(self, opts: dict[str, Any], *, quiet: bool) -> list[str]:
        py = sys.executable
        if opts["dev"]:
            return [
                py,
                "-m",
                "otklik.cli",
                "runserver",
                f"{opts['host']}:{opts['port']}",
                "--noreload",
                "--skip-checks",
            ]
        argv = [py, "-m", "gunicorn", "-c", "python:config.gunicorn"]
        if quiet:
            argv += ["--log-level", "warning"]
        return argv

    @staticmethod
    def _celery(*args: str) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "config", "--quiet", *args]

    def _worker_argv(self, opts: dict[str, Any], *, level: str) -> list[str]:
        queues = opts["queues"] or ",".join(settings.OTKLIK_QUEUES)
        return self._celery(
            "worker",
            f"--loglevel={level}",
            f"--concurrency={opts['concurrency']}",
            f"--queues={queues}",
            "--without-gossip",
            "--without-mingle",
        )

    def _beat_argv(self, *, level: str) -> list[str]:
        return self._celery(
            "beat",
            f"--loglevel={level}",
            "--scheduler",
            str(settings.CELERY_BEAT_SCHEDULER),
            "--schedule",
            str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        env = self._env(opts)
        if opts["only"]:
            self._exec_one(opts, env)
            return
        host, port = opts["host"], opts["port"]
        if not port_is_free(host, port):
            raise CommandError(port_taken_message(host, port), returncode=2)
        # Quiet task logs by default so the URL and the logins stay on screen.
        level = os.environ.get("OTKLIK_TASK_LOG_LEVEL", "WARNING")
        procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        waits: list[tuple[str, str, int]] = []

        def start(name: str, argv: list[str], **kw: Any) -> None:
            kw.setdefault("env", env)
            procs.append((name, subprocess.Popen(argv, start_new_session=True, **kw)))

        if not opts["no_fakes"]:
            for name, argv, fake_port in _fake_servers(sys.executable):
                start(name, argv, stdout=subprocess.DEVNULL)
                waits.append((name, "127.0.0.1", fake_port))
        # runserver's banner goes to stdout (ours is the one that counts); its request log to stderr.
        start("web", self._web_argv(opts, quiet=True), stdout=subprocess.DEVNULL if opts["dev"] else None)
        waits.append(("web", host, port))
        if not opts["no_worker"]:
            worker_env = dict(env)
            if opts["dev"]:
                # On a developer's machine run as root (containers) Celery warns on every start;
                # production runs it as its own user (deploy/systemd), where the warning is right.
                worker_env["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser privileges"
            start("worker", self._worker_argv(opts, level=level), env=worker_env)
            start("beat", self._beat_argv(level=level))
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        started = time.time()
        stamps = [] if opts["no_worker"] else ["worker-ready", "beat"]
        try:
            if self._wait_ready(procs, waits, lambda: stopping, stamps=stamps, since=started):
                self._banner(host, port)
            while not stopping:
                dead = self._dead(procs)
                if dead:
                    self.stderr.write(dead)
                    break
                time.sleep(0.5)
        finally:
            _stop_all(procs)
            self.stdout.write("Остановлено.")

    def _exec_one(self, opts: dict[str, Any], env: dict[str, str]) -> None:
        level = os.environ.get("OTKLIK_TASK_LOG_LEVEL", "INFO")
        argv = {
            "web": lambda: self._web_argv(opts, quiet=False),
            "worker": lambda: self._worker_argv(opts, level=level),
            "beat": lambda: self._beat_argv(level=level),
        }[opts["only"]]()
        if opts["only"] == "web" and not port_is_free(opts["host"], opts["port"]) and not os.environ.get("OTKLIK_BIND"):
            raise CommandError(port_taken_message(opts["host"], opts["port"]), returncode=2)
        sys.stdout.flush()
        os.execvpe(argv[0], argv, env)

    @staticmethod
    def _dead(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> str:
        for name, proc in procs:
            if proc.poll() is not None:
                return f"Процесс «{name}» завершился с кодом {proc.returncode}; останавливаю остальные."
        return ""

    def _wait_ready(
        self,
        procs: list[tuple[str, subprocess.Popen[bytes]]],
        waits: list[tuple[str, str, int]],
        stopping: Any,
        *,
        stamps: list[str],
        since: float,
    ) -> bool:
        """Until every port answers and the worker and beat have said they run (their own start-up
        lines come before our banner, never after)."""
        from otklik.core import coordination

        deadline = time.monotonic() + READY_TIMEOUT
        pending = [w[0] for w in waits] + stamps
        while pending and not stopping():
            dead = self._dead(procs)
            if dead:
                self.stderr.write(dead)
                return False
            pending = [w[0] for w in waits if w[0] in pending and not answers(w[1], w[2])]
            pending += [s for s in stamps if (coordination.stamped_at(s) or 0) < since]
            if not pending:
                break
            if time.monotonic() > deadline:
                self.stderr.write(f"Не ответили за {READY_TIMEOUT:.0f} с: {', '.join(pending)}")
                return True
            time.sleep(0.2)
        return not stopping()

    def _banner(self, host: str, port: int) -> None:
        from django.contrib.auth.models import User

        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        url = f"http://{shown}:{port}/"
        self.stdout.write("")
        self.stdout.write(f"  API: {url}api/docs    администрирование: {url}admin/    состояние: {url}healthz")
        self.stdout.write("  Остановить всё: Ctrl-C")
        if User.objects.filter(username="curator").exists():
            self.stdout.write("  Демонстрационные пользователи (пароль у всех: otklik):")
            for login, title in DEMO_LOGINS:
                self.stdout.write(f"    {login:<16} {title}")
        self.stdout.write(self.style.SUCCESS(f"Отклик работает: {url}"))
        self.stdout.flush()


def _stop_all(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGINT to each leader (gunicorn and Celery stop their own children), SIGKILL to what is left."""
    for _, proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    for _, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for _, proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _fake_servers(py: str) -> list[tuple[str, list[str], int]]:
    """The demo's sources point at local fakes of the networks (``otklik demo``): each fake gets a
    free port, and its sources are re-pointed at it (``base_url`` or the feed's ``url``)."""
    from otklik.inbox.models import Source

    started: dict[str, tuple[str, list[str], int]] = {}
    for source in Source.objects.filter(enabled=True).exclude(config__demo_fake_module=None).order_by("pk"):
        config = dict(source.config or {})
        module = config.get("demo_fake_module")
        if not module:
            continue
        if module not in started:
            port = free_port()
            started[module] = (f"fake-{source.kind}", [py, "-m", module, "--port", str(port), "--seed", "demo"], port)
        port = started[module][2]
        config["demo_fake_port"] = port
        fields: dict[str, Any] = {"config": config}
        if source.base_url:
            fields["base_url"] = _with_port(source.base_url, port)
        if config.get("url"):
            config["url"] = _with_port(str(config["url"]), port)
        Source.objects.filter(pk=source.pk).update(**fields)
    return list(started.values())


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname or '127.0.0.1'}:{port}"))
