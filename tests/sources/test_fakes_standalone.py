"""The fakes run standalone as `otklik serve` starts them for the demo: they bind, say where, answer."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("module", "path", "banner"),
    [
        ("otklik.sources.vk.fake", "/method/groups.getById?access_token=demo-vk-token&v=5.199", "Fake VK API"),
        ("otklik.sources.telegram.fake", "/bot123456:demo/getMe", "Fake Telegram Bot API"),
        ("otklik.sources.ok.fake", "/fb.do?method=group.getInfo", "Fake OK API"),
        ("otklik.sources.feeds.fake", "/rss", "Fake feed"),
        ("otklik.sources.max.fake", "/chats/-70000000001", "Fake MAX Bot API"),
    ],
)
def test_a_fake_starts_standalone_with_demo_data_and_answers(module: str, path: str, banner: str) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), "--seed", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert banner in line and f":{port}" in line
        # MAX takes its token only in the Authorization header; the others ignore the header.
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": "demo-max"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert response.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
