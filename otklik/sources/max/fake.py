"""A fake MAX Bot API (dev.max.ru wire format) over real HTTP on 127.0.0.1, for tests and the demo.

Implements ``GET /me``, ``GET /chats/{id}``, ``GET /chats/{id}/members/me``, ``GET /updates``
(``marker`` confirms earlier updates; without one only the newest update is returned, as MAX
documents), ``GET /messages?chat_id`` (newest first), ``POST /messages?chat_id`` (a reply by
``link``; more than 2 messages a second into one chat -> 429), ``GET|POST /messages/{mid}/comments``,
``POST /uploads?type`` + the upload URL (a token back), ``GET|POST /subscriptions`` (HTTPS only).
The token must come in ``Authorization``; one in the query string is refused, as MAX does.
Editing and deleting messages queue ``message_edited`` / ``message_removed`` updates.

Run standalone: ``python -m otklik.sources.max.fake --port 8084 --seed demo`` (token ``demo-max``).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from otklik.sources.fakeserver import FakeServer, Reply, Request, serve_until_stopped, standalone_parser

BOT = {"user_id": 900, "name": "Отклик", "username": "otklik_bot", "is_bot": True}


class FakeMax(FakeServer):
    def __init__(self, *, token: str = "max-token", **kwargs: Any):
        super().__init__(**kwargs)
        self.token = token
        self.chats: dict[int, dict] = {}
        self.members: dict[int, dict] = {}  # chat -> the bot's membership
        self.messages: dict[int, list[dict]] = {}  # chat -> messages, oldest first
        self.comments: dict[str, list[dict]] = {}  # post mid -> comments
        self.updates: list[dict] = []
        self.sent: list[dict] = []
        self.subscriptions: list[dict] = []
        self.send_times: dict[int, list[float]] = {}
        self._ids = itertools.count(1)
        self._marker = itertools.count(1)

    # --- state helpers --------------------------------------------------------------------------

    def add_chat(self, chat_id: int, title: str, *, type: str = "chat", admin: bool = True, rights: list | None = None):
        with self.lock:
            self.chats[chat_id] = {"chat_id": chat_id, "type": type, "title": title, "status": "active"}
            self.members[chat_id] = {
                **BOT,
                "is_admin": admin,
                "permissions": rights if rights is not None else ["read_all_messages", "write"],
            }
            self.messages.setdefault(chat_id, [])

    def _message(self, chat_id: int, text: str, user: dict | None, reply_to: str | None = None) -> dict:
        chat = self.chats[chat_id]
        mid = f"mid.{next(self._ids):016x}"
        message: dict[str, Any] = {
            "sender": user or {"user_id": 501, "first_name": "Житель", "last_name": "", "is_bot": False},
            "recipient": {"chat_id": chat_id, "chat_type": "channel" if chat["type"] == "channel" else "chat"},
            "timestamp": int(time.time() * 1000),
            "body": {"mid": mid, "seq": next(self._ids), "text": text, "attachments": []},
            "url": f"https://max.ru/c/{chat_id}/{mid}",
        }
        if reply_to:
            target = self._find(reply_to)
            if target:
                message["link"] = {
                    "type": "reply",
                    "sender": target.get("sender"),
                    "chat_id": chat_id,
                    "message": target["body"],
                }
        return message

    def post(self, chat_id: int, text: str, *, user: dict | None = None, reply_to: str | None = None) -> dict:
        with self.lock:
            message = self._message(chat_id, text, user, reply_to)
            self.messages[chat_id].append(message)
            self._queue({"update_type": "message_created", "message": message})
            return message

    def comment(self, chat_id: int, post_mid: str, text: str, *, user: dict | None = None) -> dict:
        with self.lock:
            message = self._message(chat_id, text, user)
            self.comments.setdefault(post_mid, []).append(message)
            return message

    def edit(self, mid: str, text: str) -> None:
        with self.lock:
            message = self._find(mid)
            assert message is not None
            message["body"]["text"] = text
            self._queue({"update_type": "message_edited", "message": message})

    def remove(self, mid: str) -> None:
        with self.lock:
            for chat_id, messages in self.messages.items():
                for message in list(messages):
                    if message["body"]["mid"] == mid:
                        messages.remove(message)
                        self._queue(
                            {
                                "update_type": "message_removed",
                                "message_id": mid,
                                "chat_id": chat_id,
                                "user_id": message["sender"].get("user_id"),
                            }
                        )

    def _find(self, mid: str) -> dict | None:
        for messages in [*self.messages.values(), *self.comments.values()]:
            for message in messages:
                if message["body"]["mid"] == mid:
                    return message
        return None

    def _queue(self, update: dict) -> None:
        self.updates.append({**update, "timestamp": int(time.time() * 1000), "_n": next(self._marker)})

    # --- wire -----------------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: str, message: str) -> Reply:
        return Reply.json({"code": code, "message": message}, status)

    def dispatch(self, request: Request) -> Reply:
        path = request.path
        with self.lock:
            self.calls.append((f"{request.method} {path}", {**request.query}))
        injection = self.take_injection(f"{request.method} {path}") or self.take_injection(path)
        if injection:
            if injection.kind == "rate_limit":
                return self._error(429, "too.many.requests", "Too many requests")
            if injection.kind == "http_500":
                return self._error(503, "service.unavailable", "Service unavailable")
            if injection.kind == "lose_response":
                self._route(request)
                return Reply.text("Gateway Timeout", 504)
        if "access_token" in request.query:
            return self._error(401, "verify.token", "Передача токена через query-параметры больше не поддерживается")
        if request.headers.get("authorization") != self.token:
            return self._error(401, "verify.token", "Invalid access_token")
        return self._route(request)

    def _route(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        verb, q = request.method, request.query
        with self.lock:
            if parts == ["me"]:
                return Reply.json(BOT)
            if parts[0] == "chats" and len(parts) >= 2:
                chat_id = int(parts[1])
                if chat_id not in self.chats:
                    return self._error(404, "chat.not.found", f"Chat {chat_id} not found")
                if parts[2:] == ["members", "me"]:
                    return Reply.json(self.members[chat_id])
                return Reply.json(self.chats[chat_id])
            if parts == ["updates"]:
                marker = int(q["marker"]) if q.get("marker") else None
                if marker is not None:
                    self.updates = [u for u in self.updates if u["_n"] >= marker]  # earlier ones are read
                    batch = self.updates[: int(q.get("limit") or 100)]
                else:
                    batch = self.updates[-1:]  # MAX: without a marker, only the last update
                next_marker = (
                    (batch[-1]["_n"] + 1) if batch else (marker or (self.updates[-1]["_n"] + 1 if self.updates else 1))
                )
                return Reply.json(
                    {"updates": [{k: v for k, v in u.items() if k != "_n"} for u in batch], "marker": next_marker}
                )
            if parts == ["messages"] and verb == "GET":
                chat_id = int(q.get("chat_id") or 0)
                items = list(reversed(self.messages.get(chat_id, [])))[: int(q.get("count") or 50)]
                return Reply.json({"messages": items})
            if parts == ["messages"] and verb == "POST":
                return self._send(int(q.get("chat_id") or 0), request.json or {})
            if len(parts) == 3 and parts[0] == "messages" and parts[2] == "comments":
                mid = parts[1]
                if self._find(mid) is None:
                    return self._error(404, "message.not.found", "Message not found")
                if verb == "GET":
                    return Reply.json({"messages": self.comments.get(mid, [])[: int(q.get("count") or 50)]})
                body = request.json or {}
                post = self._find(mid)
                chat_id = int(post["recipient"]["chat_id"])  # type: ignore[index]
                message = self._message(chat_id, str(body.get("text") or ""), BOT, (body.get("link") or {}).get("mid"))
                self.comments.setdefault(mid, []).append(message)
                self.sent.append(message)
                return Reply.json({"message": message})
            if parts == ["uploads"]:
                n = next(self._ids)
                slot = {"url": f"{self.url}/upload/{n}"}
                if q.get("type") == "video":
                    slot["token"] = f"video-token-{n}"
                return Reply.json(slot)
            if parts[0] == "upload":
                if not request.files.get("data"):
                    return self._error(400, "file.missing", "No file")
                return Reply.json({"token": f"file-token-{parts[1]}"})
            if parts == ["subscriptions"]:
                if verb == "GET":
                    return Reply.json({"subscriptions": self.subscriptions})
                url = str((request.json or {}).get("url") or "")
                if not url.startswith("https://"):
                    return self._error(400, "url.invalid", "Webhook URL must be HTTPS")
                self.subscriptions.append({"url": url, "time": int(time.time() * 1000)})
                return Reply.json({"success": True})
        return self._error(404, "not.found", "Not found")

    def _send(self, chat_id: int, body: dict) -> Reply:
        if chat_id not in self.chats:
            return self._error(404, "chat.not.found", "Chat not found")
        if "write" not in self.members[chat_id]["permissions"]:
            return self._error(403, "chat.denied", "Bot cannot write here")
        now = time.monotonic()
        recent = [t for t in self.send_times.get(chat_id, []) if now - t < 1.0]
        if len(recent) >= 2:
            return self._error(429, "too.many.requests", "Not more than 2 messages per second into one chat")
        self.send_times[chat_id] = [*recent, now]
        reply_to = (body.get("link") or {}).get("mid")
        if reply_to and self._find(reply_to) is None:
            return self._error(404, "message.not.found", "Message to reply not found")
        message = self._message(chat_id, str(body.get("text") or ""), BOT, reply_to)
        message["body"]["attachments"] = list(body.get("attachments") or [])
        self.messages[chat_id].append(message)
        self.sent.append(message)
        return Reply.json({"message": message})


DEMO_TOKEN = "demo-max"


def seed_demo(fake: FakeMax) -> None:
    fake.add_chat(-70000000001, "Газимурский Завод — чат жителей")
    fake.add_chat(-70000000002, "Администрация округа — канал", type="channel")
    post = fake.post(-70000000002, "Администрация: график приёма граждан на декабрь", user=BOT)
    fake.comment(
        -70000000002,
        post["body"]["mid"],
        "А в Кактолге приём будет?",
        user={"user_id": 601, "first_name": "Нина", "last_name": "Бянкина", "is_bot": False},
    )
    fake.post(
        -70000000001,
        "Во дворе на ул. Журавлёва не горит фонарь уже неделю",
        user={"user_id": 602, "first_name": "Олег", "last_name": "Шилов", "is_bot": False},
    )


def main(argv: list[str] | None = None) -> None:
    parser = standalone_parser("Fake MAX Bot API for tests and the demo", 8084)
    parser.add_argument("--token", default=DEMO_TOKEN)
    args = parser.parse_args(argv)
    fake = FakeMax(token=args.token, host=args.host, port=args.port)
    if args.seed == "demo":
        seed_demo(fake)
    serve_until_stopped(fake, lambda: f"Fake MAX Bot API on {fake.url}  token={args.token}")


if __name__ == "__main__":
    main()
