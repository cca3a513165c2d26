"""A local stand-in of the WeChat Official Account API, for tests and demos (no network beyond localhost).

It speaks the parts of the documented API Wengang uses, with the same paths, parameters, JSON and error
codes::

    standin = WeChatStandIn(appid="wx-standin", secret="standin-secret")
    api = standin.start()  # "http://127.0.0.1:PORT"
    settings.WENGANG_OUTREACH["wechat"] = {"api": api, "appid": "wx-standin", "secret": "standin-secret"}
    ...
    standin.stop()

- ``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`` issues an access token that expires
  after ``token_ttl`` seconds (40013 wrong appid, 40125 wrong secret). ``expire_tokens()`` ends every token
  issued so far at once, as when another server fetched a new one, so the next use answers 42001.
- ``POST /cgi-bin/message/template/send?access_token=`` checks the token (41001 missing, 40001 unknown,
  42001 expired) and the body (40003 no openid, 40037 no template id), answers the errcode set for that
  openid in ``fail`` (e.g. ``{"o-blocked": 43101}``), and otherwise accepts: ``{"errcode":0,"msgid":N}``.
  Like WeChat it sends one message per (openid, ``client_msg_id``) within 10 minutes: a repeat answers the
  first msgid and is not sent again. ``accepted`` lists what was sent; ``requests`` every send request.
- ``GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`` answers the openid
  for a code from ``issue_code(openid)``; an unknown code answers 40029, a used one 40163.

``template_finish_xml`` and ``text_message_xml`` build the XML WeChat pushes to the account's callback URL.

Run on its own (for a demo): ``python -m wengang.outreach.wechat_standin [PORT]``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

DEDUP_SECONDS = 600

ERRMSG = {
    0: "ok",
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45047: "out of response count limit",
    47001: "data format error",
}


class WeChatStandIn:
    """The API on ``127.0.0.1`` in a background thread; all state is on the instance and thread-safe."""

    def __init__(
        self,
        *,
        appid: str = "wx-standin",
        secret: str = "standin-secret",  # noqa: S107 (a stand-in's fixed test secret)
        token_ttl: int = 7200,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.token_ttl = token_ttl
        self.host = host
        self.port = port
        self.fail: dict[str, int] = {}  # openid → errcode to answer for it
        self.token_requests = 0
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token → expiry (monotonic)
        self._codes: dict[str, str | None] = {}  # code → openid (None once used)
        self._dedup: dict[tuple[str, str], tuple[int, float]] = {}
        self._msgids = itertools.count(1000001)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                standin._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                standin._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # What tests tell it ---------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """End every token issued so far (the next use answers 42001)."""
        with self.lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def issue_code(self, openid: str) -> str:
        """An OAuth code, as WeChat hands one to a page opened inside WeChat, that answers ``openid``."""
        code = "code-" + secrets.token_hex(8)
        with self.lock:
            self._codes[code] = openid
        return code

    # The API --------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body: dict[str, Any] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length) if length else b""
            try:
                body = json.loads(raw.decode("utf-8")) if raw else {}
            except (UnicodeDecodeError, ValueError):
                self._reply(handler, {"errcode": 47001, "errmsg": ERRMSG[47001]})
                return
        routes = {
            ("GET", "/cgi-bin/token"): self._token,
            ("POST", "/cgi-bin/message/template/send"): self._template_send,
            ("GET", "/sns/oauth2/access_token"): self._oauth,
        }
        route = routes.get((method, parts.path))
        if route is None:
            handler.send_response(404)
            handler.end_headers()
            return
        with self.lock:
            answer = route(query, body)
        self._reply(handler, answer)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, answer: dict[str, Any]) -> None:
        if "errcode" in answer and "errmsg" not in answer:
            answer["errmsg"] = ERRMSG.get(answer["errcode"], "error")
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; encoding=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _token(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self.token_requests += 1
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002}
        if query.get("appid") != self.appid:
            return {"errcode": 40013}
        if query.get("secret") != self.secret:
            return {"errcode": 40125}
        token = "tok-" + secrets.token_hex(12)
        self._tokens[token] = time.monotonic() + self.token_ttl
        return {"access_token": token, "expires_in": self.token_ttl}

    def _token_error(self, token: str) -> int:
        if not token:
            return 41001
        expires = self._tokens.get(token)
        if expires is None:
            return 40001
        if expires <= time.monotonic():
            return 42001
        return 0

    def _template_send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        error = self._token_error(query.get("access_token", ""))
        if error:
            return {"errcode": error}
        openid = str(body.get("touser") or "")
        if not openid:
            return {"errcode": 40003}
        if not body.get("template_id"):
            return {"errcode": 40037}
        if openid in self.fail:
            return {"errcode": self.fail[openid]}
        now = time.monotonic()
        key = (openid, str(body.get("client_msg_id") or ""))
        if key[1]:
            seen = self._dedup.get(key)
            if seen is not None and now - seen[1] < DEDUP_SECONDS:
                return {"errcode": 0, "msgid": seen[0]}
        msgid = next(self._msgids)
        if key[1]:
            self._dedup[key] = (msgid, now)
        self.accepted.append({**body, "msgid": msgid})
        return {"errcode": 0, "msgid": msgid}

    def _oauth(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002}
        if query.get("appid") != self.appid:
            return {"errcode": 40013}
        if query.get("secret") != self.secret:
            return {"errcode": 40125}
        code = query.get("code", "")
        if code not in self._codes:
            return {"errcode": 40029}
        openid = self._codes[code]
        if openid is None:
            return {"errcode": 40163}
        self._codes[code] = None
        return {
            "access_token": "web-" + secrets.token_hex(8),
            "expires_in": 7200,
            "refresh_token": "refresh-" + secrets.token_hex(8),
            "openid": openid,
            "scope": "snsapi_base",
        }


def template_finish_xml(
    *, openid: str, msgid: int | str, status: str = "success", account: str = "gh_standin"
) -> str:
    """The event WeChat pushes when a template message was delivered (``success``) or not
    (``failed:user block``, ``failed: system failed``)."""
    return (
        "<xml>"
        f"<ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"
        f"<MsgID>{escape(str(msgid))}</MsgID>"
        f"<Status><![CDATA[{status}]]></Status>"
        "</xml>"
    )


def text_message_xml(*, openid: str, content: str, msgid: int | str, account: str = "gh_standin") -> str:
    """A text message a follower sent to the account."""
    return (
        "<xml>"
        f"<ToUserName><![CDATA[{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{escape(str(msgid))}</MsgId>"
        "</xml>"
    )


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in until interrupted, printing its address and a code for a test openid."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    standin = WeChatStandIn(port=int(args[0]) if args else 0)
    url = standin.start()
    print(f"WeChat API stand-in at {url} (appid {standin.appid}, secret {standin.secret})")
    print(f"OAuth code for openid o-demo: {standin.issue_code('o-demo')}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
