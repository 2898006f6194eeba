"""The production smoke scenario, over HTTP(S) through nginx, as people do it in a browser.

    python tests/smoke/smoke.py https://127.0.0.1:8443 --vk http://127.0.0.1:8081

Run by ``.ci/smoke-stack`` against nginx → gunicorn → PostgreSQL, with a Celery worker and beat on
Redis, and the fake VK the demo's VK source polls:

1. ``/healthz`` through nginx says the database, broker, every queue's worker and beat are alive;
   a static file comes from nginx with its hashed name and a year's cache;
2. the curator signs in (the login form, CSRF, secure cookies over TLS) and finds, in the inbox,
   a message the worker polled from the fake VK;
3. triage and routing: the «needs a response» form with a topic and the roads department;
4. the roads executor signs in, accepts the case and submits a draft answer;
5. the curator approves it; the worker publishes it to the fake VK (the comment is read back
   through VK's own ``wall.getComments``) and the case closes;
6. the Head signs in and downloads the monthly report (XLSX, read back as a workbook).

Every step prints one line; the first failure stops with the page that explains it.
"""

from __future__ import annotations

import argparse
import html
import io
import re
import sys
import time
from datetime import UTC, datetime

import httpx

PASSWORD = "otklik"


class SmokeError(AssertionError):
    pass


def step(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def check(ok: object, what: str, response: httpx.Response | None = None) -> None:
    if not ok:
        tail = (
            f"\n--- {response.request.method} {response.url} → {response.status_code}\n{response.text[:2000]}"
            if response is not None
            else ""
        )
        raise SmokeError(f"{what}{tail}")


def wait_for(what: str, fn, timeout: float = 180, every: float = 2.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise SmokeError(f"timed out after {timeout:.0f} s waiting for {what}")


class Person:
    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.client = httpx.Client(base_url=base, verify=False, timeout=60, follow_redirects=False)
        self.username = username

    def csrf(self, page: str) -> str:
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return m.group(1) if m else self.client.cookies.get("csrftoken", "")

    def sign_in(self) -> None:
        page = self.client.get("/accounts/login/")
        check(page.status_code == 200, "the login page", page)
        r = self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf(page.text)},
            headers={"Referer": f"{self.base}/accounts/login/"},
        )
        check(r.status_code == 302 and "sessionid" in self.client.cookies, f"{self.username} signs in", r)
        cookie = next(c for c in self.client.cookies.jar if c.name == "sessionid")
        check(cookie.secure, "the session cookie is Secure over TLS")

    def get(self, path: str) -> httpx.Response:
        r = self.client.get(path)
        check(r.status_code == 200, f"GET {path}", r)
        return r

    def post(self, path: str, data: dict[str, object], *, page: str) -> httpx.Response:
        r = self.client.post(
            path, data={**data, "csrfmiddlewaretoken": self.csrf(page)}, headers={"Referer": f"{self.base}{path}"}
        )
        check(r.status_code in (200, 302), f"POST {path}", r)
        if r.status_code == 302:
            follow = self.client.get(r.headers["location"])
            check(follow.status_code == 200, f"after POST {path}", follow)
            messages = re.findall(r'<li class="flash-error">([^<]+)<', follow.text)
            check(not messages, f"POST {path}: {messages}", follow)
            return follow
        return r


def health(base: str) -> None:
    client = httpx.Client(base_url=base, verify=False, timeout=30)

    def ok() -> bool:
        try:
            r = client.get("/healthz")
        except httpx.HTTPError:
            return False
        return r.status_code == 200 and r.json()["status"] == "ok"

    wait_for("/healthz: database, broker, every queue's worker and beat", ok, timeout=180)
    body = client.get("/healthz").json()
    step(f"healthz ok through nginx ({', '.join(body['checks'])}; coordination on {body['coordination']})")
    login = client.get("/accounts/login/")
    css = re.search(r'href="(/static/web/app\.[0-9a-f]{12}\.css)"', login.text)
    check(css, "the pages link hashed static files (whitenoise's manifest)", login)
    assert css is not None
    r = client.get(css.group(1))
    check(r.status_code == 200 and r.headers.get("server", "").startswith("nginx"), "nginx serves static", r)
    check("immutable" in r.headers.get("cache-control", ""), "hashed static files are cached for good", r)
    check(client.get("/_protected/anything").status_code == 404, "the X-Accel location is internal")
    check(login.headers.get("x-request-id"), "responses carry a request id", login)
    step(f"static from nginx: {css.group(1)} ({r.headers.get('cache-control')})")


def vk_message(curator: Person, vk_texts: set[str]) -> tuple[int, str]:
    """A new message in the inbox that the worker polled from the fake VK."""

    def find() -> tuple[int, str] | None:
        inbox = curator.get("/inbox/").text
        for mid in dict.fromkeys(int(m) for m in re.findall(r'href="/inbox/(\d+)/"', inbox)):
            page = curator.client.get(f"/inbox/{mid}/")
            if page.status_code != 200:
                continue
            text = html.unescape(page.text)
            hit = next((t for t in vk_texts if t[:60] in text), None)
            if hit:
                return mid, page.text
        return None

    return wait_for("a message polled from the fake VK in the inbox", find, timeout=180, every=3)


def vk_texts(vk: str) -> set[str]:
    """What citizens wrote in the fake VK community (its own API, as the connector reads it)."""
    client = httpx.Client(base_url=vk, timeout=10)
    texts: set[str] = set()
    wall = client.post(
        "/method/wall.get", data={"owner_id": -1001, "count": 100, "access_token": "demo-vk-token", "v": "5.199"}
    )
    for post in wall.json().get("response", {}).get("items", []):
        r = client.post(
            "/method/wall.getComments",
            data={
                "owner_id": -1001,
                "post_id": post["id"],
                "count": 100,
                "thread_items_count": 10,  # replies to a comment live in its thread
                "access_token": "demo-vk-token",
                "v": "5.199",
            },
        )
        for c in r.json().get("response", {}).get("items", []):
            texts.update(t["text"] for t in [c, *c.get("thread", {}).get("items", [])] if t.get("text"))
    return texts


def vk_comment_with(vk: str, text: str) -> bool:
    return any(text in t for t in vk_texts(vk))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--vk", required=True, help="the fake VK's base URL")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    started = time.monotonic()

    health(base)

    curator = Person(base, "curator")
    curator.sign_in()
    step("curator signed in")
    texts = vk_texts(args.vk)
    check(texts, "the fake VK has citizens' comments")
    message_id, page = vk_message(curator, texts)
    step(f"the worker polled the fake VK: message {message_id} in the inbox")

    depts = dict(re.findall(r'name="departments" value="(\d+)"[^>]*>\s*([^<]+)<', page))
    roads = next((pk for pk, name in depts.items() if "дорож" in name.lower()), None)
    if roads is None:
        roads = next(iter(re.findall(r'name="departments" value="(\d+)"', page)), None)
    check(roads, "the routing form lists the departments")
    topic = next(iter(re.findall(r'<option value="(\d+)"[^>]*>[^<]*(?:Дорог|дорог)', page)), None)
    data: dict[str, object] = {
        "summary": "Проверка развёртывания: дорога",
        "importance": "normal",
        "departments": [roads],
    }
    if topic:
        data["topics"] = [topic]
    curator.post(f"/inbox/{message_id}/detect/", data, page=page)
    # The message is now part of a case: its page sends the curator there.
    r = curator.client.get(f"/inbox/{message_id}/")
    where = re.search(r"/cases/(\d+)/", r.headers.get("location", ""))
    check(r.status_code == 302 and where, "triage and routing made a case of the message", r)
    assert where is not None
    case_id = int(where.group(1))
    curator.get(f"/cases/{case_id}/")
    step(f"triaged and routed: case {case_id} to the roads department")

    executor = Person(base, "executor-roads")
    executor.sign_in()
    page = executor.get(f"/cases/{case_id}/").text
    page = executor.post(f"/cases/{case_id}/accept/", {}, page=page).text
    answer = f"Ответ проверки развёртывания {datetime.now(UTC):%Y%m%d%H%M%S}: ремонт дороги включён в план."
    page = executor.post(f"/cases/{case_id}/draft/", {"kind": "answer", "text": answer}, page=page).text
    step("executor accepted the case and submitted a draft")

    page = curator.get(f"/cases/{case_id}/").text
    draft_id = re.search(r'name="draft_id" value="(\d+)"', page)
    check(draft_id, "the case page offers the draft for approval")
    assert draft_id is not None
    curator.post(f"/cases/{case_id}/approve/", {"draft_id": draft_id.group(1)}, page=page)
    step("curator approved the draft")

    wait_for("the answer in the fake VK", lambda: vk_comment_with(args.vk, answer), timeout=120)
    wait_for(
        "the case closed after publication",
        lambda: "Ответ размещён" in html.unescape(curator.get(f"/cases/{case_id}/").text),
        timeout=60,
    )
    step("the worker published the answer to the fake VK; the case is closed")

    head = Person(base, "head")
    head.sign_in()
    month = datetime.now(UTC).strftime("%Y-%m")
    r = head.get(f"/reports/download/xlsx/?month={month}")
    check(r.content[:2] == b"PK", "the report is an XLSX (zip) file", r)
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    check(book.sheetnames, "the workbook has sheets")
    step(f"head downloaded the monthly report: {len(r.content):,} bytes, sheets {book.sheetnames}")
    print(f"smoke: passed in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SmokeError as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
