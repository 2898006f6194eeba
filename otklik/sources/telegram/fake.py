"""A fake Telegram Bot API over real HTTP on 127.0.0.1, for tests and the demo.

Implements getMe, getUpdates (offset confirms earlier updates; ``timeout`` long-polls), sendMessage
and sendPhoto (with ``reply_parameters``; replying to an unknown message gives Telegram's 400
"message to be replied not found"). Chats hold the messages posted, so tests can build a channel
with a linked discussion group.

Run standalone: ``python -m otklik.sources.telegram.fake --port 8082 --seed demo``
(token ``123456:demo``).
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from otklik.sources.fakeserver import FakeServer, Reply, Request, serve_until_stopped, standalone_parser

BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Отклик",
    "username": "otklik_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": True,
    "supports_inline_queries": False,
}


class FakeTelegram(FakeServer):
    def __init__(self, *, token: str = "123456:test", **kwargs: Any):
        super().__init__(**kwargs)
        self.token = token
        self.chats: dict[int, dict] = {}
        self.messages: dict[int, dict[int, dict]] = {}  # chat_id -> message_id -> message
        self.updates: list[dict] = []
        self.sent: list[dict] = []
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count] = {}
        self.new_update = threading.Condition(self.lock)

    # --- state helpers --------------------------------------------------------------------------

    def add_chat(self, chat_id: int, title: str, *, type: str = "supergroup", username: str | None = None) -> dict:
        with self.lock:
            chat = {"id": chat_id, "title": title, "type": type}
            if username:
                chat["username"] = username
            self.chats[chat_id] = chat
            self.messages.setdefault(chat_id, {})
            self._message_ids.setdefault(chat_id, itertools.count(1))
            return chat

    def post(
        self,
        chat_id: int,
        text: str,
        *,
        user: dict | None = None,
        reply_to: int | None = None,
        kind: str | None = None,
        extra: dict | None = None,
        date: int | None = None,
    ) -> dict:
        """Add a message to a chat and queue the update a bot would receive."""
        with self.lock:
            chat = self.chats[chat_id]
            message: dict[str, Any] = {
                "message_id": next(self._message_ids[chat_id]),
                "date": date or int(time.time()),
                "chat": chat,
                "text": text,
            }
            if chat["type"] == "channel":
                message["sender_chat"] = chat
            else:
                message["from"] = user or {"id": 777, "is_bot": False, "first_name": "Житель"}
            if reply_to is not None:
                message["reply_to_message"] = self.messages[chat_id][reply_to]
            message.update(extra or {})
            self.messages[chat_id][message["message_id"]] = message
            update_kind = kind or ("channel_post" if chat["type"] == "channel" else "message")
            self.updates.append({"update_id": next(self._update_ids), update_kind: message})
            self.new_update.notify_all()
            return message

    def raw_update(self, update: dict) -> None:
        with self.lock:
            update.setdefault("update_id", next(self._update_ids))
            self.updates.append(update)
            self.new_update.notify_all()

    def edit(self, chat_id: int, message_id: int, text: str) -> dict:
        """The author edits a message: Telegram sends ``edited_message`` (``edited_channel_post``)."""
        with self.lock:
            message = self.messages[chat_id][message_id]
            message["text"] = text
            message["edit_date"] = int(time.time())
            kind = "edited_channel_post" if self.chats[chat_id]["type"] == "channel" else "edited_message"
            self.updates.append({"update_id": next(self._update_ids), kind: dict(message)})
            self.new_update.notify_all()
            return message

    def link_channel(self, channel_id: int, group_id: int, text: str) -> tuple[dict, dict]:
        """Post in a channel and its automatic forward into the linked discussion group."""
        post = self.post(channel_id, text)
        forward = self.post(
            group_id,
            text,
            user={"id": 777000, "is_bot": False, "first_name": "Telegram"},
            extra={
                "is_automatic_forward": True,
                "sender_chat": self.chats[channel_id],
                "forward_origin": {
                    "type": "channel",
                    "chat": self.chats[channel_id],
                    "message_id": post["message_id"],
                    "date": post["date"],
                },
            },
        )
        return post, forward

    # --- wire -----------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return Reply.json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        token, method = parts[0][3:], parts[1]
        params: dict[str, Any] = {**request.query, **request.form, **(request.json or {})}
        with self.lock:
            self.calls.append((method, dict(params)))
        injection = self.take_injection(method)
        if injection:
            reply = self._injected(injection)
            if reply:
                return reply
        if token != self.token:
            return Reply.json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        handler = getattr(self, "m_" + method, None)
        if handler is None:
            return Reply.json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return handler(params, request)

    def _injected(self, injection: Any) -> Reply | None:
        kind = injection.kind
        if kind == "rate_limit":
            after = int(injection.options.get("retry_after", 3))
            return Reply.json(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {after}",
                    "parameters": {"retry_after": after},
                },
                429,
            )
        if kind == "bad_token":
            return Reply.json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        if kind == "sleep":
            time.sleep(float(injection.options.get("seconds", 1.0)))
            return None
        if kind == "malformed":
            return Reply(200, b'{"ok": true, "result": [', "application/json")
        if kind == "http_500":
            return Reply.json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)
        if kind == "conflict":
            return Reply.json(
                {
                    "ok": False,
                    "error_code": 409,
                    "description": "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                },
                409,
            )
        if kind == "raw":
            return Reply.json(injection.options["body"])
        return None

    def m_getMe(self, params: dict, request: Request) -> Reply:
        return Reply.json({"ok": True, "result": {**BOT, "can_read_all_group_messages": self.reads_all}})

    reads_all = True
    admins: set[int] = set()  # chats where the bot is an administrator
    webhook_url = ""

    def m_getChat(self, params: dict, request: Request) -> Reply:
        chat = self.chats.get(int(params.get("chat_id") or 0))
        if chat is None:
            return Reply.json({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400)
        return Reply.json({"ok": True, "result": chat})

    def m_getChatMember(self, params: dict, request: Request) -> Reply:
        chat_id = int(params.get("chat_id") or 0)
        if chat_id not in self.chats:
            return Reply.json({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400)
        status = "administrator" if chat_id in self.admins else "member"
        return Reply.json({"ok": True, "result": {"status": status, "user": BOT}})

    def m_getWebhookInfo(self, params: dict, request: Request) -> Reply:
        return Reply.json({"ok": True, "result": {"url": self.webhook_url, "pending_update_count": 0}})

    def m_sendVideo(self, params: dict, request: Request) -> Reply:
        video = request.files.get("video")
        if not video:
            return Reply.json({"ok": False, "error_code": 400, "description": "Bad Request: there is no video"}, 400)
        content: dict[str, Any] = {"video": {"file_id": f"vd{len(self.sent)}", "file_size": len(video)}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)

    def m_sendMediaGroup(self, params: dict, request: Request) -> Reply:
        import json

        media = params.get("media")
        media = json.loads(media) if isinstance(media, str) else media or []
        if not 2 <= len(media) <= 10:
            return Reply.json({"ok": False, "error_code": 400, "description": "Bad Request: wrong media count"}, 400)
        results = []
        for item in media:
            name = str(item.get("media", "")).removeprefix("attach://")
            if name not in request.files:
                return Reply.json({"ok": False, "error_code": 400, "description": "Bad Request: file missing"}, 400)
            kind = item.get("type")
            content: dict[str, Any] = (
                {"video": {"file_id": f"vd{len(self.sent)}"}}
                if kind == "video"
                else {"photo": [{"file_id": f"ph{len(self.sent)}", "width": 800, "height": 600}]}
            )
            if item.get("caption"):
                content["caption"] = item["caption"]
            reply = self._send(params, content)
            body = json.loads(reply.body)
            if not body.get("ok"):
                return reply
            results.append(body["result"])
        return Reply.json({"ok": True, "result": results})

    def m_getUpdates(self, params: dict, request: Request) -> Reply:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self.lock:
            if offset:
                # Telegram: asking for offset confirms (forgets) every earlier update.
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.new_update.wait(deadline - time.monotonic())
            return Reply.json({"ok": True, "result": self.updates[:limit]})

    def _send(self, params: dict, content: dict) -> Reply:
        chat_id = int(params["chat_id"])
        with self.lock:
            if chat_id not in self.chats:
                return Reply.json({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400)
            reply = params.get("reply_parameters")
            if isinstance(reply, str):
                import json

                reply = json.loads(reply)
            target = None
            if reply:
                target = self.messages[chat_id].get(int(reply["message_id"]))
                if target is None:
                    return Reply.json(
                        {"ok": False, "error_code": 400, "description": "Bad Request: message to be replied not found"},
                        400,
                    )
            message = {
                "message_id": next(self._message_ids[chat_id]),
                "from": BOT,
                "chat": self.chats[chat_id],
                "date": int(time.time()),
                **content,
            }
            if target:
                message["reply_to_message"] = target
            self.messages[chat_id][message["message_id"]] = message
            self.sent.append(message)
            return Reply.json({"ok": True, "result": message})

    def m_sendMessage(self, params: dict, request: Request) -> Reply:
        if not params.get("text"):
            return Reply.json(
                {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}, 400
            )
        return self._send(params, {"text": params["text"]})

    def m_sendPhoto(self, params: dict, request: Request) -> Reply:
        photo = request.files.get("photo")
        if not photo and not params.get("photo"):
            return Reply.json(
                {"ok": False, "error_code": 400, "description": "Bad Request: there is no photo in the request"}, 400
            )
        content: dict[str, Any] = {
            "photo": [
                {
                    "file_id": f"ph{len(self.sent)}",
                    "file_unique_id": f"u{len(self.sent)}",
                    "width": 800,
                    "height": 600,
                    "file_size": len(photo or b""),
                }
            ]
        }
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)


def seed_demo(fake: FakeTelegram) -> None:
    fake.add_chat(-1001000000001, "Газимурский Завод — официально", type="channel", username="gazzavod_official")
    fake.add_chat(-1001000000002, "Газимурский Завод — обсуждение", username="gazzavod_chat")
    fake.add_chat(-1001000000003, "Родительский чат школы № 1")
    _, forward = fake.link_channel(
        -1001000000001, -1001000000002, "Администрация: с понедельника ремонт водовода на ул. Журавлёва."
    )
    fake.post(
        -1001000000002,
        "А горячую воду когда дадут? Уже неделю нет!",
        reply_to=forward["message_id"],
        user={"id": 9001, "is_bot": False, "first_name": "Анна", "last_name": "Лыкова", "username": "anna_lykova"},
    )
    fake.post(
        -1001000000003,
        "Автобус до школы опять не пришёл, дети стоят на морозе.",
        user={"id": 9002, "is_bot": False, "first_name": "Павел", "last_name": "Семёнов"},
    )


def seed_demo_run(fake: FakeTelegram) -> None:
    """``--seed demo``: the data above and one more citizen's message."""
    seed_demo(fake)
    fake.post(
        -1001000000002,
        "На ул. Журавлёва в Газимурском Заводе прорвало трубу, вода течёт по дороге и уже замерзает.",
        user={"id": 9003, "is_bot": False, "first_name": "Дмитрий", "last_name": "Черных"},
    )


def main(argv: list[str] | None = None) -> None:
    parser = standalone_parser("Fake Telegram Bot API for tests and the demo", 8082)
    parser.add_argument("--token", default="123456:demo")
    args = parser.parse_args(argv)
    fake = FakeTelegram(token=args.token, host=args.host, port=args.port)
    if args.seed == "demo":
        seed_demo_run(fake)
    serve_until_stopped(
        fake,
        lambda: f"Fake Telegram Bot API on {fake.url}  token={args.token}",
    )


if __name__ == "__main__":
    main()
