"""Voila as `pmo serve` runs it: Voila 0.5.13 with the guards it lacks in front of every handler.

Voila builds its tornado application with `allow_remote_access=True` hard-coded, so jupyter_server's
Host check never runs, and its static handlers are not Jupyter handlers at all; and every plain GET of a
notebook starts a kernel (about 240 MB) that nothing bounds. `PmoVoila` builds the same application
from a `Guarded` subclass whose `find_handler` answers, before any Voila handler is made:

- 403 when the Host header is not a name the server is bound to, with its port (DNS rebinding: a page
  on evil.example whose name now points at 127.0.0.1 sends `Host: evil.example:PORT`);
- 403 when the browser says the request comes from another site's page (`Sec-Fetch-Site` other than
  same-origin/none) unless it is a user-activated top-level navigation (a click on a link), or when an
  `Origin` header is not the server's own: an <iframe>, fetch() or <img> elsewhere cannot start kernels;
- 503 for a dashboard request when `max_kernels` kernels are live or being started.

Run as `python -m pmo_analytics.serve.voila_app DIR --PmoVoila.max_kernels=N ...` (serve/command.py does).
"""
from __future__ import annotations

import ipaddress
import socket
import tempfile
import time
from urllib.parse import urlparse

import tornado.web
from jupyter_server.base.call_context import CallContext
from jupyter_server.utils import url_path_join
from nbclient.util import ensure_async
from traitlets import Integer
from voila.app import Voila

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("", "0.0.0.0", "::")
RESERVATION_SECONDS = 60  # a dashboard request calls start_kernel within a second or two of arriving
FULL = "too many dashboards open on this server ({0}); close one or try again shortly"
CROSS_SITE = "refused: dashboards open only at their own address, not from inside another site's page"


class Refused(tornado.web.RequestHandler):
    """A one-line plain-text refusal; no Voila handler (and so no kernel) is made for the request."""

    def initialize(self, status: int, message: str) -> None:
        self.status, self.message = status, message

    def prepare(self) -> None:
        self.set_status(self.status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        if self.status == 503:
            self.set_header("Retry-After", "30")
        self.finish(self.message + "\n")


def host_names(ip: str) -> set[str]:
    """Names a browser may put in the Host header for a server bound to `ip`."""
    names = set(LOOPBACK_NAMES)
    targets = [ip] if ip not in WILDCARDS else [socket.gethostname(), socket.getfqdn()]
    names.update(t for t in targets if t)
    for target in filter(None, targets):
        try:
            names.update(info[4][0] for info in socket.getaddrinfo(target, None, type=socket.SOCK_STREAM))
        except OSError:
            pass
    if ip in WILDCARDS:
        names.add(ip or "0.0.0.0")
    return {n.lower() for n in names if "%" not in n}  # no link-local scope ids


def host_headers(ip: str, port: int) -> frozenset[str]:
    """Every Host header value this server answers to: each bound name with the port."""
    values = set()
    for name in host_names(ip):
        try:
            bracketed = f"[{name}]" if ipaddress.ip_address(name).version == 6 else name
        except ValueError:
            bracketed = name
        values.add(f"{bracketed}:{port}")
        if port == 80:
            values.add(bracketed)
    return frozenset(values)


class Guard:
    """The three refusals, and the count of kernels live, starting or about to start."""

    def __init__(self, voila: "PmoVoila") -> None:
        self.voila = voila
        self.render_prefix = url_path_join(voila.server_url or voila.base_url, "/voila/render/")
        self.reserved: dict[int, tuple[object, float]] = {}  # id(request) -> (request, when)
        self.starting = 0
        self._hosts: frozenset[str] | None = None

    @property
    def hosts(self) -> frozenset[str]:
        if self._hosts is None:  # after listen(): the port is final (port_retries=0 keeps it)
            self._hosts = host_headers(self.voila.ip, self.voila.port)
        return self._hosts

    def any_address(self, host: str) -> bool:
        """Bound to every address (0.0.0.0, ::): any IP address with the port, whichever interface it
        is on. An IP address is no DNS-rebinding risk: the page asking is then at that address."""
        if self.voila.ip not in WILDCARDS:
            return False
        name, _, port = host.rpartition(":")
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return port == str(self.voila.port)

    def live(self) -> int:
        now = time.monotonic()
        for key, (_, when) in list(self.reserved.items()):
            if now - when > RESERVATION_SECONDS:
                del self.reserved[key]
        return len(self.voila.kernel_manager.list_kernel_ids()) + self.starting + len(self.reserved)

    def refusal(self, request) -> tuple[int, str] | None:
        """(status, message) for a request to refuse, else None (and a kernel slot if it needs one)."""
        host = request.headers.get("Host", "").lower()
        if host not in self.hosts and not self.any_address(host):
            return 403, f"refused: this server answers only at http://{self.voila.display_host}/"
        headers = request.headers
        site = headers.get("Sec-Fetch-Site", "").lower()
        if site and site not in ("same-origin", "none"):
            clicked = (headers.get("Sec-Fetch-Mode") == "navigate" and headers.get("Sec-Fetch-Dest") == "document"
                       and headers.get("Sec-Fetch-User") == "?1")
            if not clicked:
                return 403, CROSS_SITE
        origin = headers.get("Origin")
        if origin is not None:
            parsed = urlparse(origin.lower())
            if parsed.scheme not in ("http", "https") or parsed.netloc != host:
                return 403, CROSS_SITE
        if request.method == "GET" and request.path.startswith(self.render_prefix):
            if self.live() >= self.voila.max_kernels:
                return 503, FULL.format(self.voila.max_kernels)
            self.reserved[id(request)] = (request, time.monotonic())
        return None

    def release(self, request) -> None:
        self.reserved.pop(id(request), None)

    def wrap_start_kernel(self, kernel_manager) -> None:
        """Turns the request's reservation into a starting kernel; refuses a start nobody reserved
        (a path that starts kernels which `refusal` does not know) when the server is full."""
        start = kernel_manager.start_kernel

        async def start_kernel(*args, **kwargs):
            handler = CallContext.get(CallContext.JUPYTER_HANDLER)
            request = getattr(handler, "request", None)
            if request is not None and self.reserved.pop(id(request), None) is None \
                    and self.live() >= self.voila.max_kernels:
                raise tornado.web.HTTPError(503, reason="Too many dashboards open")
            self.starting += 1
            try:
                return await ensure_async(start(*args, **kwargs))
            finally:
                self.starting -= 1

        kernel_manager.start_kernel = start_kernel


class Guarded(tornado.web.Application):
    """Voila's tornado application, with `Guard.refusal` asked before any of its handlers."""

    def __init__(self, guard: Guard, **settings) -> None:
        self.guard = guard
        super().__init__(**settings)

    def find_handler(self, request, **kwargs):
        refusal = self.guard.refusal(request)
        if refusal is None:
            return super().find_handler(request, **kwargs)
        status, message = refusal
        self.guard.voila.log.warning("refused %s %s (Host %r): %d", request.method, request.path,
                                     request.headers.get("Host"), status)
        return self.get_handler_delegate(request, Refused, {"status": status, "message": message})

    def log_request(self, handler) -> None:
        self.guard.release(handler.request)  # a dashboard request that ended without a kernel
        super().log_request(handler)


class PmoVoila(Voila):
    max_kernels = Integer(12, config=True, help="Kernels (open dashboards) live at once; more get 503")

    @property
    def display_host(self) -> str:
        host = "127.0.0.1" if self.ip in WILDCARDS else self.ip
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    def start(self):
        # Voila.start of voila 0.5.13, building the application from `Guarded`.
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        self.log.info("Storing connection files in %s." % self.connection_dir)
        settings = self.init_settings()
        guard = Guard(self)
        guard.wrap_start_kernel(self.kernel_manager)
        self.app = Guarded(guard, **settings)
        self.app.settings.update(self.tornado_settings)
        self.app.add_handlers(".*$", self.init_handlers())
        self.listen()


main = PmoVoila.launch_instance

if __name__ == "__main__":
    main()
