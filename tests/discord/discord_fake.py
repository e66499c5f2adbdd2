"""A fake Discord on 127.0.0.1 for discord.py's real code path (HTTP API and gateway), plus raw payloads.

discord.http.Route.BASE is pointed here (it also carries the webhook/interaction-callback requests), and
so is discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY: nothing can reach discord.com or discord.gg. Every
request is recorded with its arrival time; every gateway connection with its IDENTIFY and close code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import WSMsgType, web

APP_ID = 900_000_000_000_000_001
BOT_ID = APP_ID
GUILD_ID = 910_000_000_000_000_001
CHANNEL_ID = 920_000_000_000_000_001
THREAD_ID = 920_000_000_000_000_002
ANSWER_CHANNEL_ID = 920_000_000_000_000_003
MAINTAINER_ROLE_ID = 930_000_000_000_000_001
OTHER_ROLE_ID = 930_000_000_000_000_002
TIMESTAMP = "2024-01-01T00:00:00+00:00"
REJECTED_TOKEN = "rejected-token"  # GET /users/@me answers 401 for it

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def user(uid: int, name: str = "user", *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = {**user(BOT_ID, "notes-bot", bot=True), "verified": True, "mfa_enabled": False, "flags": 0}


@dataclass
class Req:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any  # parsed JSON (multipart bodies: the payload_json part)
    at: float  # time.monotonic() on arrival
    auth: str = ""  # the Authorization header


@dataclass
class GatewayConn:
    """One websocket connection to the fake gateway."""

    query: dict[str, str]  # v, encoding, compress
    identify: dict | None = None  # the IDENTIFY payload's "d" (its token included)
    ready: bool = False  # READY was sent
    heartbeats: int = 0
    close_code: int | None = None  # the code of the client's close frame, once it closed


@dataclass
class FakeDiscord:
    requests: list[Req] = field(default_factory=list)
    gateway: list[GatewayConn] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)  # interaction id -> when it was delivered
    messages: dict[str, dict] = field(default_factory=dict)  # message id -> payload (for GET)
    channels: dict[str, dict] = field(default_factory=dict)  # channel id -> payload (for PATCH)
    acknowledged: set[str] = field(default_factory=set)  # interactions whose callback was taken
    _cond: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    base: str = ""
    gateway_url: str = ""

    # -- server -------------------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        app.router.add_get("/gateway/", self._gateway)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)  # open websockets
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway/"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if getattr(part, "name", None) == "payload_json":
                    body = json.loads(await part.text())  # type: ignore[union-attr]
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        req = Req(
            request.method, path, dict(request.query), body, at, request.headers.get("Authorization", "")
        )
        status, payload = self._respond(req)
        await self._record(lambda: self.requests.append(req))
        if payload is None:
            return web.Response(status=status)
        # discord.py wants exactly "application/json" (not "...; charset=utf-8")
        headers = {"Content-Type": "application/json"}
        return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO, READY after IDENTIFY, an ACK per heartbeat; records how the client closes. Plain JSON text
        frames (discord.py asks for zlib-stream but accepts text)."""
        ws = web.WebSocketResponse()  # autoclose: answers the client's close frame
        await ws.prepare(request)
        conn = GatewayConn(dict(request.query))
        await self._record(lambda: self.gateway.append(conn))
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 2:  # IDENTIFY
                conn.identify = data["d"]
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": self._ready(data["d"])})
                await self._record(lambda: setattr(conn, "ready", True))
            elif data["op"] == 1:  # HEARTBEAT
                conn.heartbeats += 1
                await ws.send_json({"op": 11})
        await self._record(lambda: setattr(conn, "close_code", ws.close_code))
        return ws

    def _ready(self, identify: dict) -> dict:
        return {
            "v": 10,
            "user": BOT_USER,
            "guilds": [],
            "private_channels": [],
            "session_id": f"fake-session-{snowflake()}",
            "resume_gateway_url": self.gateway_url,
            "shard": identify.get("shard") or [0, 1],
            "application": {"id": str(APP_ID), "flags": 0},
        }

    async def _record(self, change: Callable[[], object]) -> None:
        async with self._cond:
            change()
            self._cond.notify_all()

    def _respond(self, req: Req) -> tuple[int, Any]:
        p, m, body = req.path, req.method, req.body or {}
        parts = p.strip("/").split("/")
        if m == "GET" and p == "/users/@me":
            if req.auth == f"Bot {REJECTED_TOKEN}":
                return 401, {"message": "401: Unauthorized", "code": 0}
            return 200, BOT_USER
        if m == "GET" and p == "/oauth2/applications/@me":
            return 200, {
                "id": str(APP_ID),
                "name": "notes-bot",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user(1, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        if parts[0] == "interactions" and parts[-1] == "callback" and m == "POST":
            if parts[1] in self.acknowledged:  # as Discord does: one callback per interaction
                return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
            self.acknowledged.add(parts[1])
            return 200, self._callback(parts[1], body)
        if parts[0] == "webhooks" and m == "POST":
            return 200, self._message(body, flags=body.get("flags", 0), webhook=True)
        if parts[0] == "webhooks" and m == "PATCH":
            return 200, self._message(body, webhook=True)
        if m == "DELETE":
            return 204, None
        if parts[0] == "channels" and parts[-1] == "messages" and m == "POST":
            return 200, self._message(body, channel_id=parts[1])
        if parts[0] == "channels" and len(parts) == 2 and m == "PATCH" and parts[1] in self.channels:
            self.channels[parts[1]] = {**self.channels[parts[1]], **body}  # e.g. a thread's applied_tags
            return 200, self.channels[parts[1]]
        if parts[0] == "channels" and len(parts) == 4 and parts[2] == "messages" and m == "GET":
            found = self.messages.get(parts[3])
            return (200, found) if found else (404, {"message": "Unknown Message", "code": 10008})
        if parts[0] == "applications" and parts[-1] == "commands" and m == "PUT":
            guild = parts[3] if "guilds" in parts else None
            out = []
            for cmd in body:
                c = {"id": snowflake(), "application_id": str(APP_ID), "version": snowflake(), **cmd}
                c.setdefault("type", 1)
                c.setdefault("description", "")
                if guild:
                    c["guild_id"] = guild
                out.append(c)
            return 200, out
        return 404, {"message": f"fake Discord: no route {m} {p}", "code": 0}

    def _message(
        self, body: dict, *, flags: int = 0, channel_id: str | None = None, webhook: bool = False
    ) -> dict:
        mid = snowflake()
        msg = message_payload(
            mid,
            channel_id or str(CHANNEL_ID),
            BOT_USER,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            flags=flags,
        )
        if webhook:
            msg["webhook_id"] = str(APP_ID)
        self.messages[mid] = msg
        return msg

    def _callback(self, interaction_id: str, body: dict) -> dict:
        rtype = body.get("type")
        data = body.get("data") or {}
        flags = int(data.get("flags") or 0)
        out: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(flags & 64),
            },
            "resource": {"type": rtype},
        }
        if rtype in (4, 5, 7):
            msg = self._message(data, flags=flags)
            out["interaction"]["response_message_id"] = msg["id"]
            out["resource"]["message"] = msg
        return out

    # -- helpers for tests --------------------------------------------------------------------------------
    def deliver(self, client: discord.Client, event: str, payload: dict) -> None:
        """Feed one raw gateway event through discord.py's parser (its real dispatch path)."""
        if event == "INTERACTION_CREATE":
            self.sent_at[payload["id"]] = time.monotonic()
        client._connection.parsers[event](payload)

    async def wait_for(self, pred: Callable[[Req], bool], count: int = 1, timeout: float = 5.0) -> list[Req]:
        """Wait until ``count`` recorded requests satisfy ``pred``; returns them (TimeoutError otherwise)."""

        def found() -> list[Req]:
            return [r for r in self.requests if pred(r)]

        await self.wait_until(lambda: len(found()) >= count, timeout)
        return found()

    async def wait_until(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``check()`` holds, re-checked after every request and gateway event."""
        async with self._cond:
            await asyncio.wait_for(self._cond.wait_for(check), timeout)

    async def settle(self, quiet: float = 0.15) -> None:
        """Let pending tasks finish: returns once no request arrived for ``quiet`` seconds."""
        n = -1
        while n != len(self.requests):
            n = len(self.requests)
            await asyncio.sleep(quiet)

    def for_interaction(self, interaction: dict) -> list[Req]:
        """Requests answering one interaction (its callback and webhook follow-ups/edits)."""
        iid, token = interaction["id"], interaction["token"]
        return [r for r in self.requests if f"/interactions/{iid}/" in r.path or f"/{token}" in r.path]

    def callbacks(self) -> list[Req]:
        return [r for r in self.requests if r.path.endswith("/callback")]


# -- raw payloads--
def member(uid: int, *, name: str = "user", permissions: str = "0", roles: list[int] | None = None) -> dict:
    return {
        "user": user(uid, name),
        "roles": [str(r) for r in roles or []],
        "permissions": permissions,
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
    }


def channel(cid: int = CHANNEL_ID, *, ctype: int = 0, parent: int | None = None) -> dict:
    ch: dict[str, Any] = {
        "id": str(cid),
        "type": ctype,
        "guild_id": str(GUILD_ID),
        "name": f"ch-{cid % 1000}",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": str(parent) if parent else None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }
    if ctype in (10, 11, 12):  # threads
        ch["owner_id"] = "1"
        ch["thread_metadata"] = {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": TIMESTAMP,
            "locked": False,
        }
        ch["message_count"] = 0
        ch["member_count"] = 1
    return ch


def interaction(
    itype: int,
    data: dict,
    *,
    user_id: int = 4242,
    locale: str = "en-US",
    permissions: str = "0",
    roles: list[int] | None = None,
    guild: bool = True,
    message: dict | None = None,
) -> dict:
    """An INTERACTION_CREATE payload (2 = command, 3 = component, 4 = autocomplete)."""
    iid = snowflake()
    p: dict[str, Any] = {
        "id": iid,
        "application_id": str(APP_ID),
        "type": itype,
        "data": data,
        "token": f"tok-{iid}",
        "version": 1,
        "locale": locale,
        "app_permissions": "2251799813685247",
        "attachment_size_limit": 8 * 1024 * 1024,
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)} if guild else {"1": str(user_id)},
        "context": 0 if guild else 1,
        "channel_id": str(CHANNEL_ID),
    }
    if guild:
        p["guild_id"] = str(GUILD_ID)
        p["guild_locale"] = "ko"
        p["channel"] = channel()
        p["member"] = member(user_id, permissions=permissions, roles=roles)
    else:
        p["channel"] = {"id": str(CHANNEL_ID), "type": 1, "recipients": [user(user_id)]}
        p["user"] = user(user_id)
    if message is not None:
        p["message"] = message
    return p


def slash(name: str, options: dict[str, Any] | None = None, **kw: Any) -> dict:
    types = {str: 3, bool: 5, int: 4}
    opts = [{"name": k, "type": types[type(v)], "value": v} for k, v in (options or {}).items()]
    return interaction(2, {"id": snowflake(), "name": name, "type": 1, "options": opts}, **kw)


def autocomplete(name: str, option: str, value: str, **kw: Any) -> dict:
    opts = [{"name": option, "type": 3, "value": value, "focused": True}]
    return interaction(4, {"id": snowflake(), "name": name, "type": 1, "options": opts}, **kw)


def click(custom_id: str, message: dict, **kw: Any) -> dict:
    return interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message, **kw)


def message_payload(
    mid: str,
    channel_id: str,
    author: dict,
    *,
    content: str = "",
    embeds: list | None = None,
    components: list | None = None,
    flags: int = 0,
    mentions: list[dict] | None = None,
    guild_id: str | None = None,
    referenced: dict | None = None,
    member_data: dict | None = None,
) -> dict:
    msg: dict[str, Any] = {
        "id": mid,
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "type": 19 if referenced else 0,
        "flags": flags,
    }
    if guild_id:
        msg["guild_id"] = guild_id
    if member_data:
        msg["member"] = member_data
    if referenced:
        msg["message_reference"] = {
            "type": 0,
            "message_id": referenced["id"],
            "channel_id": referenced["channel_id"],
            "guild_id": guild_id,
        }
        msg["referenced_message"] = referenced
    return msg


def chat_message(
    content: str,
    *,
    user_id: int = 4242,
    bot_author: bool = False,
    mention_bot: bool = True,
    channel_id: int = CHANNEL_ID,
    guild: bool = True,
    referenced: dict | None = None,
) -> dict:
    """A MESSAGE_CREATE payload; with ``mention_bot`` the content starts with the bot's mention."""
    text = f"<@{BOT_ID}> {content}" if mention_bot else content
    return message_payload(
        snowflake(),
        str(channel_id),
        user(user_id, "someone", bot=bot_author),
        content=text,
        mentions=[BOT_USER] if mention_bot else [],
        guild_id=str(GUILD_ID) if guild else None,
        member_data={k: v for k, v in member(user_id).items() if k != "user"} if guild else None,
        referenced=referenced,
    )


def guild_create() -> dict:
    """A GUILD_CREATE with a text channel, an answer channel and a thread under it (fills the cache)."""
    return {
        "id": str(GUILD_ID),
        "name": "study",
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": "1",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "color": 0,
                "hoist": False,
                "position": 0,
                "permissions": "0",
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": "ko",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "unavailable": False,
        "member_count": 2,
        "large": False,
        "members": [],
        "channels": [channel(CHANNEL_ID), channel(ANSWER_CHANNEL_ID)],
        "threads": [channel(THREAD_ID, ctype=11, parent=ANSWER_CHANNEL_ID)],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "joined_at": TIMESTAMP,
    }
