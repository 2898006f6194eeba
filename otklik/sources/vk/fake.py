"""A fake VK API (v5.199 wire format) over real HTTP on 127.0.0.1, for tests and the demo.

Implements: groups.getById (ids and short names), users.get, wall.get (offset pages of up to 100, a pinned
post first), wall.getComments (threads, extended, offset pages; a deleted comment that has replies
stays as ``{"id", "deleted": true, "thread"}`` and one without replies disappears, as VK does, and
the post's comment count drops), newsfeed.search,
wall.createComment (with VK's ``guid`` de-duplication: the same guid on the same post returns the
comment already created), photos.getWallUploadServer, the upload endpoint, photos.saveWallPhoto.

Run standalone: ``python -m otklik.sources.vk.fake --port 8081 --seed demo`` (token ``demo-token``).

Why one module of over 400 lines: it is one server's state (walls, threads, uploads, guids) and
the handlers that read and change it; split by method it would pass that state around.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from otklik.sources.fakeserver import FakeServer, Reply, Request, serve_until_stopped, standalone_parser

VERSION = "5.199"


@dataclass
class Comment:
    id: int
    from_id: int
    date: int
    text: str
    thread_root: int | None = None
    reply_to_comment: int | None = None
    attachments: list[dict] = field(default_factory=list)
    guid: str = ""
    deleted: bool = False


@dataclass
class Post:
    id: int
    owner_id: int
    from_id: int
    date: int
    text: str
    attachments: list[dict] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    comments_closed: bool = False
    is_pinned: bool = False


class FakeVk(FakeServer):
    def __init__(self, *, token: str = "test-token", **kwargs: Any):
        super().__init__(**kwargs)
        self.token = token
        self.groups: dict[int, dict] = {}
        self.users: dict[int, dict] = {}
        self.walls: dict[int, list[Post]] = {}  # owner_id -> posts
        self._ids = itertools.count(1)
        self._comment_ids: dict[int, itertools.count] = {}
        self.uploaded: list[bytes] = []
        self.photos: list[dict] = []
        self.videos: list[dict] = []
        self.hooks: list[tuple[str, Any]] = []  # (method, fn(params)) run once before that call

    def on(self, method: str, fn: Any) -> None:
        """Run ``fn(params)`` once, just before the next call of ``method`` is answered: what a
        citizen does on the network while a poll is reading it."""
        with self.lock:
            self.hooks.append((method, fn))

    # --- state helpers for tests ----------------------------------------------------------------

    def add_group(self, group_id: int, name: str, screen_name: str = "") -> None:
        with self.lock:
            self.groups[group_id] = {
                "id": group_id,
                "name": name,
                "screen_name": screen_name or f"club{group_id}",
                "is_closed": 0,
                "type": "group",
            }
            self.walls.setdefault(-group_id, [])
            self._comment_ids.setdefault(-group_id, itertools.count(1))

    def add_user(self, user_id: int, first_name: str, last_name: str) -> None:
        with self.lock:
            self.users[user_id] = {
                "id": user_id,
                "first_name": first_name,
                "last_name": last_name,
                "screen_name": f"id{user_id}",
            }

    def add_post(
        self,
        group_id: int,
        text: str,
        *,
        from_id: int | None = None,
        date: int | None = None,
        attachments: list[dict] | None = None,
    ) -> Post:
        with self.lock:
            wall = self.walls.setdefault(-group_id, [])
            post = Post(
                id=(max((p.id for p in wall), default=0) + 1),
                owner_id=-group_id,
                from_id=from_id if from_id is not None else -group_id,
                date=date or int(time.time()),
                text=text,
                attachments=attachments or [],
            )
            wall.append(post)
            return post

    def add_comment(
        self,
        group_id: int,
        post_id: int,
        text: str,
        *,
        from_id: int,
        thread_root: int | None = None,
        date: int | None = None,
    ) -> Comment:
        with self.lock:
            post = self._post(-group_id, post_id)
            assert post is not None, "no such post"
            counter = self._comment_ids.setdefault(-group_id, itertools.count(1))
            comment = Comment(next(counter), from_id, date or int(time.time()), text, thread_root)
            post.comments.append(comment)
            return comment

    def edit_comment(self, group_id: int, post_id: int, comment_id: int, text: str) -> Comment:
        with self.lock:
            post = self._post(-group_id, post_id)
            assert post is not None, "no such post"
            comment = next(c for c in post.comments if c.id == comment_id)
            comment.text = text
            return comment

    def delete_comment(self, group_id: int, post_id: int, comment_id: int) -> None:
        with self.lock:
            post = self._post(-group_id, post_id)
            assert post is not None, "no such post"
            comment = next(c for c in post.comments if c.id == comment_id)
            comment.deleted = True

    def created_comments(self) -> list[Comment]:
        with self.lock:
            return [c for wall in self.walls.values() for p in wall for c in p.comments if c.guid]

    # --- wire -----------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply:
        if request.path == "/upload":
            return self._upload(request)
        if request.path == "/upload_video":
            data = request.files.get("video_file")
            if not data:
                return Reply.json({"error": "no file"}, 400)
            with self.lock:
                self.uploaded.append(data)
            return Reply.json({"size": len(data), "video_id": self.videos[-1]["id"] if self.videos else 0})
        if not request.path.startswith("/method/"):
            return Reply.text("not found", 404)
        method = request.path.removeprefix("/method/")
        params = {**request.query, **request.form}
        with self.lock:
            self.calls.append((method, params))
            hook = next((h for h in self.hooks if h[0] == method), None)
            if hook:
                self.hooks.remove(hook)
        if hook:
            hook[1](params)
        injection = self.take_injection(method)
        if injection:
            reply = self._injected(injection, params)
            if reply:
                return reply
        if params.get("access_token") != self.token:
            return self._error(5, "User authorization failed: invalid access_token (4).", params)
        if params.get("v") != VERSION:
            return self._error(8, "Invalid request: v (version) is required", params)
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(3, "Unknown method passed.", params)
        with self.lock:
            return handler(params)

    def _injected(self, injection: Any, params: dict) -> Reply | None:
        kind = injection.kind
        if kind == "rate_limit":
            return self._error(6, "Too many requests per second", params)
        if kind == "flood":
            return self._error(9, "Flood control", params)
        if kind == "bad_token":
            return self._error(5, "User authorization failed: invalid access_token (4).", params)
        if kind == "sleep":
            time.sleep(float(injection.options.get("seconds", 1.0)))
            return None
        if kind == "malformed":
            return Reply(200, b'{"response": {"items": [', "application/json")
        if kind == "http_500":
            return Reply.text("Internal Server Error", 500)
        if kind == "error":
            return self._error(int(injection.options["code"]), injection.options.get("message", "Error"), params)
        if kind == "lose_response":
            # Perform the call, then drop the answer: what a timeout after success looks like.
            handler = getattr(self, "m_" + injection.method.replace(".", "_"))
            with self.lock:
                handler(params)
            return Reply.text("Gateway Timeout", 504)
        if kind == "raw":
            return Reply.json(injection.options["body"])
        return None

    @staticmethod
    def _error(code: int, message: str, params: dict) -> Reply:
        request_params = [{"key": k, "value": v} for k, v in params.items() if k not in {"access_token"}]
        return Reply.json({"error": {"error_code": code, "error_msg": message, "request_params": request_params}})

    def _post(self, owner_id: int, post_id: int) -> Post | None:
        return next((p for p in self.walls.get(owner_id, []) if p.id == post_id), None)

    def _extended(self, from_ids: set[int]) -> dict:
        return {
            "profiles": [self.users[i] for i in sorted(from_ids) if i in self.users],
            "groups": [self.groups[-i] for i in sorted(from_ids) if -i in self.groups],
        }

    def _post_json(self, post: Post) -> dict:
        return {
            "id": post.id,
            "owner_id": post.owner_id,
            "from_id": post.from_id,
            "date": post.date,
            "post_type": "post",
            "text": post.text,
            "attachments": post.attachments,
            **({"is_pinned": 1} if post.is_pinned else {}),
            "comments": {
                "count": len(self._visible(post)),
                "can_post": 0 if post.comments_closed else 1,
                "groups_can_post": True,
            },
            "likes": {"count": 0, "user_likes": 0, "can_like": 1},
            "reposts": {"count": 0, "user_reposted": 0},
            "views": {"count": 10},
        }

    @staticmethod
    def _visible(post: Post) -> list[Comment]:
        """The comments VK shows: a deleted one stays only while its thread has live replies."""
        live_roots = {c.thread_root for c in post.comments if c.thread_root and not c.deleted}
        return [c for c in post.comments if not c.deleted or (not c.thread_root and c.id in live_roots)]

    def _comment_json(self, post: Post, c: Comment, thread_items: int = 0) -> dict:
        if c.deleted:
            replies = [r for r in self._visible(post) if r.thread_root == c.id]
            return {
                "id": c.id,
                "deleted": True,
                "thread": {
                    "count": len(replies),
                    "items": [self._comment_json(post, r) for r in replies[:thread_items]],
                },
            }
        data: dict[str, Any] = {
            "id": c.id,
            "from_id": c.from_id,
            "post_id": post.id,
            "owner_id": post.owner_id,
            "parents_stack": [c.thread_root] if c.thread_root else [],
            "date": c.date,
            "text": c.text,
            "attachments": c.attachments,
        }
        if c.reply_to_comment:
            data["reply_to_comment"] = c.reply_to_comment
        if not c.thread_root:
            replies = [r for r in self._visible(post) if r.thread_root == c.id]
            data["thread"] = {
                "count": len(replies),
                "items": [self._comment_json(post, r) for r in replies[:thread_items]],
                "can_post": True,
                "show_reply_button": True,
                "groups_can_post": True,
            }
        return data

    # --- methods --------------------------------------------------------------------------------

    def m_users_get(self, p: dict) -> Reply:
        ids = [int(x) for x in p.get("user_ids", "").split(",") if x.strip().lstrip("-").isdigit()]
        return Reply.json({"response": [self.users[i] for i in ids if i in self.users]})

    def m_groups_getById(self, p: dict) -> Reply:
        refs = [x.strip() for x in p.get("group_ids", p.get("group_id", "")).split(",") if x.strip()]
        by_name = {g["screen_name"]: g for g in self.groups.values()}
        found = [self.groups[int(r)] if r.isdigit() and int(r) in self.groups else by_name.get(r) for r in refs]
        found = [g for g in found if g]
        if not found:
            return self._error(100, "One of the parameters specified was missing or invalid: group_ids is undefined", p)
        return Reply.json({"response": {"groups": found, "profiles": []}})

    def m_wall_get(self, p: dict) -> Reply:
        owner_id = int(p["owner_id"])
        if owner_id not in self.walls:
            return self._error(100, "One of the parameters specified was missing or invalid: owner_id is undefined", p)
        posts = sorted(self.walls[owner_id], key=lambda x: (x.is_pinned, x.id), reverse=True)
        offset, count = int(p.get("offset", 0)), min(100, int(p.get("count", 20)))
        page = posts[offset : offset + count]
        response: dict[str, Any] = {
            "count": len(posts),
            "items": [self._post_json(x) for x in page],
        }
        if p.get("extended") == "1":
            response.update(self._extended({x.from_id for x in page}))
        return Reply.json({"response": response})

    def m_wall_getComments(self, p: dict) -> Reply:
        post = self._post(int(p["owner_id"]), int(p["post_id"]))
        if post is None:
            return self._error(100, "One of the parameters specified was missing or invalid: post_id is undefined", p)
        visible = self._visible(post)
        if p.get("comment_id"):
            root = int(p["comment_id"])
            level = [c for c in visible if c.thread_root == root]
            thread_items = 0
        else:
            level = [c for c in visible if not c.thread_root]
            thread_items = min(10, int(p.get("thread_items_count", 0)))
        if p.get("sort") == "desc":
            level = list(reversed(level))
        offset, count = int(p.get("offset", 0)), min(100, int(p.get("count", 10)))
        page = level[offset : offset + count]
        items = [self._comment_json(post, c, thread_items) for c in page]
        response: dict[str, Any] = {
            "count": len(level) if p.get("comment_id") else len(visible),
            "items": items,
            "current_level_count": len(level),
            "can_post": not post.comments_closed,
            "show_reply_button": True,
            "groups_can_post": True,
        }
        if p.get("extended") == "1":
            ids = {c.from_id for c in page if not c.deleted} | {
                r["from_id"] for i in items for r in i.get("thread", {}).get("items", []) if "from_id" in r
            }
            response.update(self._extended(ids))
        return Reply.json({"response": response})

    def m_newsfeed_search(self, p: dict) -> Reply:
        q = p.get("q", "").lower()
        start, end = int(p.get("start_time", 0)), int(p.get("end_time", 2**31))
        found = [
            post
            for wall in self.walls.values()
            for post in wall
            if q in post.text.lower() and start <= post.date <= end
        ]
        found.sort(key=lambda x: (x.date, x.id), reverse=True)
        offset = int(p.get("start_from") or 0)
        count = min(200, int(p.get("count", 30)))
        page = found[offset : offset + count]
        response: dict[str, Any] = {
            "items": [self._post_json(x) for x in page],
            "count": len(found),
            "total_count": len(found),
        }
        if offset + count < len(found):
            response["next_from"] = str(offset + count)
        if p.get("extended") == "1":
            response.update(self._extended({x.from_id for x in page}))
        return Reply.json({"response": response})

    def m_wall_createComment(self, p: dict) -> Reply:
        owner_id, post_id = int(p["owner_id"]), int(p["post_id"])
        post = self._post(owner_id, post_id)
        if post is None:
            return self._error(100, "One of the parameters specified was missing or invalid: post_id is undefined", p)
        if post.comments_closed:
            return self._error(212, "Access to post comments denied", p)
        guid = p.get("guid", "")
        if guid:
            for c in post.comments:
                if c.guid == guid:  # VK: the same guid does not post the same comment twice
                    return Reply.json({"response": {"comment_id": c.id, "parents_stack": []}})
        if not p.get("message") and not p.get("attachments"):
            return self._error(100, "One of the parameters specified was missing or invalid: message is undefined", p)
        reply_to = int(p["reply_to_comment"]) if p.get("reply_to_comment") else None
        root = None
        if reply_to:
            target = next((c for c in post.comments if c.id == reply_to), None)
            if target is None:
                return self._error(
                    100, "One of the parameters specified was missing or invalid: reply_to_comment is undefined", p
                )
            root = target.thread_root or target.id
        from_id = -int(p["from_group"]) if p.get("from_group") else 1
        counter = self._comment_ids.setdefault(owner_id, itertools.count(1))
        attachments = [
            {
                "type": kind,
                kind: {"id": int(a.split("_")[1]), "owner_id": int(a[len(kind) :].split("_")[0]), "sizes": []},
            }
            for a in (p.get("attachments") or "").split(",")
            for kind in ("photo", "video")
            if a.startswith(kind)
        ]
        comment = Comment(
            next(counter), from_id, int(time.time()), p.get("message", ""), root, reply_to, attachments, guid
        )
        post.comments.append(comment)
        return Reply.json({"response": {"comment_id": comment.id, "parents_stack": [root] if root else []}})

    def m_video_save(self, p: dict) -> Reply:
        owner = -int(p["group_id"]) if p.get("group_id") else 1
        video = {"id": 5000 + len(self.videos), "owner_id": owner, "title": p.get("name", "")}
        self.videos.append(video)
        return Reply.json(
            {
                "response": {
                    "upload_url": f"{self.url}/upload_video",
                    "video_id": video["id"],
                    "owner_id": owner,
                    "title": video["title"],
                    "access_key": "k",
                }
            }
        )

    def m_photos_getWallUploadServer(self, p: dict) -> Reply:
        return Reply.json({"response": {"upload_url": f"{self.url}/upload", "album_id": -14, "user_id": 1}})

    def _upload(self, request: Request) -> Reply:
        data = request.files.get("photo")
        if not data:
            return Reply.json({"server": 1, "photo": "[]", "hash": ""})
        with self.lock:
            self.uploaded.append(data)
            n = len(self.uploaded)
        return Reply.json({"server": 777, "photo": json.dumps([{"photo": f"p{n}"}]), "hash": f"h{n}"})

    def m_photos_saveWallPhoto(self, p: dict) -> Reply:
        if not p.get("photo") or not p.get("hash"):
            return self._error(100, "One of the parameters specified was missing or invalid: photo", p)
        owner = -int(p["group_id"]) if p.get("group_id") else 1
        photo = {"id": 1000 + len(self.photos), "owner_id": owner, "album_id": -14, "sizes": []}
        self.photos.append(photo)
        return Reply.json({"response": [photo]})


DEMO_GROUP = 1001  # the community the demo source (otklik demo) watches
DEMO_TOKEN = "demo-vk-token"


def seed_demo(fake: FakeVk, *, adm_group: int = 100001, live_group: int = 100002) -> None:
    """A small municipal community with citizens' posts and comments (Russian)."""
    now = int(time.time())
    fake.add_group(adm_group, "Администрация Газимуро-Заводского округа", "gazzavod_adm")
    fake.add_group(live_group, "Газимурский Завод — новости и обсуждения", "gazzavod_live")
    people = [
        (501, "Ирина", "Колесникова"),
        (502, "Сергей", "Бутин"),
        (503, "Ольга", "Пешкова"),
        (504, "Николай", "Зуев"),
    ]
    for uid, first, last in people:
        fake.add_user(uid, first, last)
    p1 = fake.add_post(adm_group, "Уважаемые жители! С 1 декабря меняется график вывоза ТКО.", date=now - 7200)
    fake.add_comment(
        adm_group,
        p1.id,
        "А на улице Журавлёва мусор не вывозили уже две недели, контейнеры переполнены.",
        from_id=501,
        date=now - 7000,
    )
    c = fake.add_comment(
        adm_group, p1.id, "Когда починят дорогу на Ямкун? Ямы по колено.", from_id=502, date=now - 6500
    )
    fake.add_comment(
        adm_group, p1.id, "Поддерживаю, там и школьный автобус ходит.", from_id=503, thread_root=c.id, date=now - 6000
    )
    fake.add_post(
        live_group,
        "В микрорайоне Северный третий день нет холодной воды. Куда обращаться?",
        from_id=504,
        date=now - 3600,
    )
    fake.add_post(
        live_group,
        "Фонари на ул. Ленина не горят с прошлой недели, детям темно идти в школу.",
        from_id=503,
        date=now - 1800,
    )


def seed_demo_run(fake: FakeVk) -> None:
    """``--seed demo``: the data above on the demo source's community (``DEMO_GROUP``), plus
    citizens' posts on its wall and one post elsewhere found by the keyword search."""
    now = int(time.time())
    seed_demo(fake, adm_group=DEMO_GROUP, live_group=DEMO_GROUP + 1)
    fake.add_user(505, "Галина", "Рудых")
    fake.add_post(
        DEMO_GROUP,
        "В Кактолге с утра нет электричества, в доме холодно, у соседки маленький ребёнок.",
        from_id=505,
        date=now - 2400,
    )
    fake.add_post(
        DEMO_GROUP + 1,
        "В Газимурский Завод так и не привезли уголь для котельной детского сада, батареи еле тёплые.",
        from_id=504,
        date=now - 900,
    )


def main(argv: list[str] | None = None) -> None:
    parser = standalone_parser("Fake VK API for tests and the demo", 8081)
    parser.add_argument("--token", default=DEMO_TOKEN)
    args = parser.parse_args(argv)
    fake = FakeVk(token=args.token, host=args.host, port=args.port)
    if args.seed == "demo":
        seed_demo_run(fake)
    serve_until_stopped(
        fake,
        lambda: f"Fake VK API on {fake.url}/method  token={args.token}  groups={sorted(fake.groups)}",
    )


if __name__ == "__main__":
    main()
