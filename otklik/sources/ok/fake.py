"""A fake OK REST API (``/fb.do``, JSON) over real HTTP on 127.0.0.1, for tests and the demo.

It checks the request signature the way OK does (error 104 PARAM_SIGNATURE on a mismatch), so
the client's signing is tested for real. Implements group.getInfo, group.getStatTopics (only the
statistics asked for in ``fields``, topics since ``start_time``), mediatopic.getByIds
(``media_limit`` required for several topics, 1..3, as apiok.ru says), discussions.getComments
(``anchor`` paging, the FIRST and LAST constants; a comment a citizen edited shows its new text, a
deleted one is gone), discussions.addDiscussionComment (only when ``allow_admin_comments``;
otherwise 10 PERMISSION_DENIED, as for a regular application), and ``/graph/me/info`` for a group
bot token. ``edit_comment``, ``delete_comment`` and ``restore_comment`` do what a citizen or a
moderator does on ok.ru.

Run standalone: ``python -m otklik.sources.ok.fake --port 8083 --seed demo``.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from otklik.sources.fakeserver import FakeServer, Reply, Request, serve_until_stopped, standalone_parser
from otklik.sources.ok.client import signature


class FakeOk(FakeServer):
    def __init__(
        self,
        *,
        application_key: str = "CBAKEY",
        application_secret_key: str = "SECRET",
        access_token: str = "tkn",
        bot_token: str = "bot-tkn",
        allow_admin_comments: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.application_key = application_key
        self.application_secret_key = application_secret_key
        self.access_token = access_token
        self.bot_token = bot_token
        self.allow_admin_comments = allow_admin_comments
        self.groups: dict[str, dict] = {}
        self.users: dict[str, str] = {}
        self.topics: dict[str, dict] = {}  # topic_id -> {"group", "author_ref", "text", "created_ms", "comments": []}
        self._ids = itertools.count(70000000000001)

    def add_group(self, gid: str, name: str) -> None:
        self.groups[gid] = {"uid": gid, "name": name}

    def add_topic(self, gid: str, text: str, *, author: str | None = None, created_ms: int | None = None) -> str:
        with self.lock:
            tid = str(next(self._ids))
            self.topics[tid] = {
                "group": gid,
                "author_ref": f"user:{author}" if author else f"group:{gid}",
                "text": text,
                "created_ms": created_ms or int(time.time() * 1000),
                "comments": [],
            }
            return tid

    def add_comment(
        self, tid: str, text: str, *, author: str, reply_to: str | None = None, date: str | None = None
    ) -> str:
        with self.lock:
            cid = f"MTc{next(self._ids)}"
            comment = {
                "id": cid,
                "type": "ACTIVE_MESSAGE",
                "author_id": author,
                "author_name": self.users.get(author, ""),
                "author_type": "USER",
                "text": text,
                "date": date or time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 3 * 3600)),
                "like_count": 0,
                "liked_it": False,
            }
            if reply_to:
                comment["reply_to_comment_id"] = reply_to
            self.topics[tid]["comments"].append(comment)
            return cid

    def _find(self, tid: str, cid: str) -> dict:
        return next(c for c in self.topics[tid]["comments"] if c["id"] == cid)

    def edit_comment(self, tid: str, cid: str, text: str) -> None:
        with self.lock:
            self._find(tid, cid)["text"] = text

    def delete_comment(self, tid: str, cid: str) -> None:
        """Gone from the discussion (and from its count); kept aside to be restored."""
        with self.lock:
            comments = self.topics[tid]["comments"]
            n = next(n for n, c in enumerate(comments) if c["id"] == cid)
            self.topics[tid].setdefault("removed", {})[cid] = (n, comments.pop(n))

    def restore_comment(self, tid: str, cid: str) -> None:
        with self.lock:
            n, comment = self.topics[tid]["removed"].pop(cid)
            self.topics[tid]["comments"].insert(n, comment)

    # --- wire -----------------------------------------------------------------------------------

    def _error(self, code: int, msg: str) -> Reply:
        return Reply.json({"error_code": code, "error_msg": msg, "error_data": None})

    def dispatch(self, request: Request) -> Reply:
        params = {**request.query, **request.form}
        if request.path == "/graph/me/info":
            if params.get("access_token") != self.bot_token:
                return Reply.json({"error_code": 102, "error_msg": "PARAM_SESSION_EXPIRED"})
            gid = next(iter(self.groups), "0")
            return Reply.json({"name": self.groups.get(gid, {}).get("name", ""), "group_id": f"group:{gid}"})
        if request.path not in ("/fb.do", "/api/fb.do"):
            return Reply.text("not found", 404)
        method = params.get("method", "")
        with self.lock:
            self.calls.append((method, params))
        injection = self.take_injection(method)
        if injection:
            if injection.kind == "rate_limit":
                return self._error(8, "FLOOD_BLOCKED")
            if injection.kind == "bad_token":
                return self._error(102, "PARAM_SESSION_EXPIRED : Session expired")
            if injection.kind == "malformed":
                return Reply(200, b'{"comments": [', "application/json")
            if injection.kind == "http_500":
                return Reply.text("Internal Server Error", 500)
            if injection.kind == "sleep":
                time.sleep(float(injection.options.get("seconds", 1.0)))
            if injection.kind == "raw":
                return Reply.json(injection.options["body"])
        if params.get("application_key") != self.application_key:
            return self._error(101, "PARAM_API_KEY : Application key is invalid")
        if params.get("access_token") != self.access_token:
            return self._error(102, "PARAM_SESSION_EXPIRED : Session expired")
        expected = signature(params, access_token=self.access_token, application_secret_key=self.application_secret_key)
        if params.get("sig") != expected:
            return self._error(104, "PARAM_SIGNATURE : Invalid signature")
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(3, "METHOD : Method not found")
        with self.lock:
            return handler(params)

    def m_group_getInfo(self, p: dict) -> Reply:
        if not p.get("fields"):
            return self._error(100, "PARAM : fields is required")
        return Reply.json({"groups": [self.groups[g] for g in p.get("uids", "").split(",") if g in self.groups]})

    def m_group_getStatTopics(self, p: dict) -> Reply:
        gid = p.get("gid", "")
        if gid not in self.groups:
            return self._error(100, "PARAM : Invalid gid")
        since = int(p.get("start_time") or 0)
        topics = [(tid, t) for tid, t in self.topics.items() if t["group"] == gid and t["created_ms"] >= since]
        topics.sort(key=lambda x: x[1]["created_ms"], reverse=True)
        count = int(p.get("count", 20))
        # Only the statistics asked for (StatTopicBeanFields, upper case), as the real API does.
        fields = {f.strip().upper() for f in p.get("fields", "").split(",") if f.strip()}
        stats = {
            "ID": lambda tid, t: tid,
            "CREATED_MS": lambda tid, t: t["created_ms"],
            "COMMENTS": lambda tid, t: len(t["comments"]),
            "LIKES": lambda tid, t: 0,
            "RESHARES": lambda tid, t: 0,
        }
        return Reply.json(
            {
                "topics": [
                    {name.lower(): value(tid, t) for name, value in stats.items() if name in fields or name == "ID"}
                    for tid, t in topics[:count]
                ],
                "has_more": len(topics) > count,
            }
        )

    def m_mediatopic_getByIds(self, p: dict) -> Reply:
        asked = [i for i in p.get("topic_ids", "").split(",") if i]
        limit = p.get("media_limit")
        if len(asked) > 1 and not limit:
            return self._error(100, "PARAM : media_limit is required for several topics")
        if limit and not (limit.isdigit() and 1 <= int(limit) <= 3):
            return self._error(100, "PARAM : media_limit must be 1..3")
        ids = [i for i in asked if i in self.topics]
        users = {self.topics[i]["author_ref"] for i in ids}
        return Reply.json(
            {
                "media_topics": [
                    {
                        "id": i,
                        "owner_ref": f"group:{self.topics[i]['group']}",
                        "author_ref": self.topics[i]["author_ref"],
                        "created_ms": self.topics[i]["created_ms"],
                        "media": [{"type": "text", "text": self.topics[i]["text"]}],
                        "discussion_summary": {"comments_count": len(self.topics[i]["comments"])},
                    }
                    for i in ids
                ],
                "entities": {
                    "users": [
                        {"uid": r[5:], "name": self.users.get(r[5:], "")} for r in users if r.startswith("user:")
                    ],
                    "groups": [self.groups[r[6:]] for r in users if r.startswith("group:") and r[6:] in self.groups],
                },
            }
        )

    def m_discussions_getComments(self, p: dict) -> Reply:
        tid = p.get("discussionId", "")
        if tid not in self.topics or p.get("discussionType") != "GROUP_TOPIC":
            return self._error(300, "NOT_FOUND : Discussion not found")
        comments = self.topics[tid]["comments"]
        start = 0
        anchor = p.get("anchor") or "FIRST"
        if anchor == "LAST":
            start = max(0, len(comments) - int(p.get("count", 20)))
        elif anchor != "FIRST":
            start = next((n + 1 for n, c in enumerate(comments) if c["id"] == anchor), 0)
        count = min(100, int(p.get("count", 20)))
        page = comments[start : start + count]
        anchor = page[-1]["id"] if page else p.get("anchor")
        body: dict[str, Any] = {
            "comments": page,
            "has_more": start + count < len(comments),
            "discussionId": tid,
            "discussionType": "GROUP_TOPIC",
        }
        if anchor:
            body["anchor"] = anchor
        return Reply.json(body)

    def m_discussions_addDiscussionComment(self, p: dict) -> Reply:
        if not self.allow_admin_comments:
            return self._error(10, "PERMISSION_DENIED : Permission denied")
        tid = p.get("entityId", "")
        if tid not in self.topics:
            return self._error(300, "NOT_FOUND : Discussion not found")
        cid = self.add_comment(
            tid, p.get("comment", ""), author=self.topics[tid]["group"], reply_to=p.get("reply_to_comment_id")
        )
        return Reply.json({"id": cid})


DEMO = {
    "application_key": "DEMOAPPKEY",
    "application_secret_key": "demo-secret",
    "access_token": "demo-ok-token",
    "group": "5500000001",
}


def seed_demo(fake: FakeOk, *, group_id: str = "53000000000001") -> None:
    fake.add_group(group_id, "Газимурский Завод — наш район")
    fake.users.update({"910000000001": "Людмила Шестакова", "910000000002": "Виктор Кочнев"})
    tid = fake.add_topic(group_id, "Жители, делитесь проблемами посёлка.")
    fake.add_comment(tid, "На остановке у почты нет освещения, вечером страшно.", author="910000000001")
    fake.add_comment(tid, "Мост через Газимур в плохом состоянии, доски прогнили.", author="910000000002")


def seed_demo_run(fake: FakeOk, group_id: str) -> None:
    """``--seed demo``: the data above and a second topic from a resident."""
    seed_demo(fake, group_id=group_id)
    fake.users["910000000003"] = "Тамара Лоскутова"
    tid = fake.add_topic(
        group_id,
        "В ФАП в Кактолге третью неделю нет фельдшера, за давлением ездим в район.",
        author="910000000003",
    )
    fake.add_comment(tid, "У нас в Широкой то же самое, записаться к врачу невозможно.", author="910000000002")


def main(argv: list[str] | None = None) -> None:
    parser = standalone_parser("Fake OK REST API for tests and the demo", 8083)
    parser.add_argument("--application-key", default=DEMO["application_key"])
    parser.add_argument("--application-secret-key", default=DEMO["application_secret_key"])
    parser.add_argument("--access-token", default=DEMO["access_token"])
    parser.add_argument("--group", default=DEMO["group"])
    args = parser.parse_args(argv)
    fake = FakeOk(
        host=args.host,
        port=args.port,
        application_key=args.application_key,
        application_secret_key=args.application_secret_key,
        access_token=args.access_token,
    )
    if args.seed == "demo":
        seed_demo_run(fake, args.group)
    serve_until_stopped(
        fake,
        lambda: (
            f"Fake OK API on {fake.url}/fb.do  application_key={fake.application_key} "
            f"application_secret_key={fake.application_secret_key} access_token={fake.access_token}"
        ),
    )


if __name__ == "__main__":
    main()
