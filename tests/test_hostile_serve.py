"""`pmo serve` against what an attacker or a careless setup does: a real server on 127.0.0.1, raw HTTP
requests (http.client, so the Host header is ours to forge), a page on another site in Debian's chromium,
and the kernels counted in the process table (each is an `ipykernel_launcher` child of the server).

The server runs with --max-kernels 3 and PMO_CULL_TIMEOUT=3 so that bounding and culling take seconds.
"""
from __future__ import annotations

import contextlib
import http.client
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pmo_analytics.serve import command as serve_module
from pmo_analytics.settings import SERVE_CULL_TIMEOUT, SERVE_MAX_KERNELS
from conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MAX_KERNELS = 3
CULL_SECONDS = 3
RENDER = "/voila/render/overview.ipynb"
FULL = f"too many dashboards open on this server ({MAX_KERNELS}); close one or try again shortly"
CROSS_SITE = "refused: dashboards open only at their own address, not from inside another site's page"


class Server:
    def __init__(self, proc, host, port, log: Path):
        self.proc, self.host, self.port, self.log = proc, host, port, log
        self.url = f"http://{host}:{port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def get(self, path="/", headers=None, host: str | None = None, timeout=90) -> tuple[int, str]:
        """GET over a raw connection; the Host header is the server's own unless `host` is given."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": f"{self.host}:{self.port}" if host is None else host,
                                             **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()


def kernels(pid: int) -> list[int]:
    """The kernel processes the server started: its children running ipykernel_launcher."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid and b"ipykernel_launcher" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_for_no_kernels(server, timeout=20.0) -> float:
    """Waits until the server has no kernel left; returns the seconds it took."""
    start = time.monotonic()
    while kernels(server.pid):
        assert time.monotonic() - start < timeout, f"kernels still alive after {timeout} s: {kernels(server.pid)}"
        time.sleep(0.2)
    return time.monotonic() - start


def start_server(db: Path, tmp: Path, *extra: str, host="127.0.0.1") -> Server:
    port = free_port(host)
    log = tmp / f"serve-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "serve", "--db", str(db), "--port",
                                 str(port), "--max-kernels", str(MAX_KERNELS), *extra],
                                stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                env={**os.environ, "PMO_CULL_TIMEOUT": str(CULL_SECONDS)})
    server = Server(proc, host, port, log)
    deadline = time.time() + 60
    while time.time() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if server.get("/", timeout=2)[0] == 200:
                return server
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    stop(proc)
    pytest.fail("pmo serve did not start: " + log.read_text())


def stop(proc) -> None:
    """Stops the server and every kernel it started (they share its process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    time.sleep(1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # kernels still shutting down


@pytest.fixture(scope="module")
def live_db(demo_db, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("hostile") / "pmo.duckdb"
    shutil.copyfile(demo_db, target)
    return target


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    server = start_server(live_db, tmp_path_factory.mktemp("serve"))
    # `pmo serve` became Voila (os.execve): a stop signal sent to it reaches Voila itself.
    assert b"pmo_analytics.serve.voila_app" in Path(f"/proc/{server.pid}/cmdline").read_bytes()
    yield server
    stop(server.proc)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def refused(status_body, status=403, message=None):
    status_code, body = status_body
    assert status_code == status, (status_code, body[:200])
    assert body.count("\n") == 1 and body.endswith("\n"), body[:200]  # one line, no page, no traceback
    if message:
        assert body.strip() == message


# --- 3. cross-site requests -------------------------------------------------------------------------

FOREIGN = [
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},  # <img>
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},  # <iframe>
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},  # no click
    {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},  # other port
    {"Origin": "http://evil.example"},  # fetch() from a browser that sends no Sec-Fetch-*
    {"Origin": "null"},  # sandboxed iframe, file:// page
    {"Origin": "http://127.0.0.1:1"},
]


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/", RENDER])
def test_cross_site_requests_are_refused_and_start_no_kernel(server, path):
    wait_for_no_kernels(server)
    for headers in FOREIGN:
        refused(server.get(path, headers), 403, CROSS_SITE)
    time.sleep(0.5)
    assert kernels(server.pid) == []
    # A click on a link in another site's page (an intranet portal) still opens the listing, and the
    # server's own pages (same origin) still work.
    clicked = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
               "Sec-Fetch-User": "?1"}
    assert server.get("/", clicked)[0] == 200
    assert server.get("/", {"Origin": server.url, "Sec-Fetch-Site": "same-origin"})[0] == 200


@pytest.mark.slow
def test_a_page_on_another_site_cannot_start_kernels(server, browser):
    """A page served from http://localhost:Q (another site than http://127.0.0.1:P) puts the
    dashboards in an <iframe>, an <img> and two fetch() calls: every one is refused, no kernel starts."""
    target = server.url + "/voila/render/"
    attack = f"""<!doctype html><title>attack</title>
<iframe id="f" src="{target}overview.ipynb" width="800" height="200"></iframe>
<img src="{target}risks.ipynb">
<script>
Promise.allSettled([fetch("{target}budget.ipynb", {{mode: "no-cors"}}), fetch("{target}resources.ipynb")])
  .then(() => {{ document.title = "done"; }});
</script>""".encode()

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(attack)))
            self.end_headers()
            self.wfile.write(attack)

        def log_message(self, *args):
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    wait_for_no_kernels(server)
    page = browser.new_page()
    answers = []
    page.on("response", lambda r: answers.append((r.url, r.status)) if r.url.startswith(target) else None)
    try:
        page.goto(f"http://localhost:{site.server_address[1]}/attack.html")
        page.wait_for_function("document.title === 'done'", timeout=30_000)
        frame = page.frame_locator("#f")
        frame.locator("body").wait_for(timeout=30_000)
        shown = frame.locator("body").inner_text()
        page.wait_for_timeout(1000)
        assert kernels(server.pid) == []
        assert CROSS_SITE in shown
        assert answers and {status for _, status in answers} == {403}, answers
        # The <img> and the CORS fetch() end as failed requests in the page; the server says why.
        log = server.log.read_text()
        for name in ("overview", "risks", "budget", "resources"):
            assert f"refused GET /voila/render/{name}.ipynb" in log, name
    finally:
        page.close()
        site.shutdown()
        site.server_close()


# --- 1. Host header (DNS rebinding) -----------------------------------------------------------------

@pytest.mark.slow
def test_foreign_host_header_is_refused_and_starts_no_kernel(server):
    wait_for_no_kernels(server)
    port = server.port
    for path in ("/", RENDER, "/voila/static/voila.js",
                 "/api/kernels/00000000-0000-0000-0000-000000000000/channels"):
        for host in ("evil.example:8866", f"evil.example:{port}", f"127.0.0.2:{port}", f"127.0.0.1:{port + 1}",
                     f"localhost.evil.example:{port}", ""):
            status, body = server.get(path, host=host)
            assert status in (400, 403) if host == "" else status == 403, (path, host, status)
            if status == 403:
                assert body.strip() == f"refused: this server answers only at http://127.0.0.1:{port}/"
    time.sleep(0.5)
    assert kernels(server.pid) == []
    for host in (f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert server.get("/", host=host)[0] == 200, host
    assert server.get("/", host=f"127.0.0.1:{port}")[0] == 200
    status, body = server.get(RENDER, host=f"127.0.0.1:{port}")
    assert status == 200 and "PMO portfolio overview" in body
    assert len(kernels(server.pid)) == 1  # the count above would have seen a kernel


@pytest.mark.slow
def test_host_given_with_host_option_is_accepted(live_db, tmp_path):
    server = start_server(live_db, tmp_path, "--host", "127.0.0.5", host="127.0.0.5")
    try:
        assert server.get("/", host=f"127.0.0.5:{server.port}")[0] == 200
        refused(server.get("/", host=f"evil.example:{server.port}"), 403,
                f"refused: this server answers only at http://127.0.0.5:{server.port}/")
    finally:
        stop(server.proc)


# --- 2. bounded kernels, culled when no browser is connected ----------------------------------------

@pytest.mark.slow
def test_kernels_are_bounded_then_culled(server):
    wait_for_no_kernels(server)
    time.sleep(2)  # the kernel manager forgets a culled kernel a moment after its process has exited
    answers, peak, sizes = [], 0, []

    def fetch():
        answers.append(server.get(RENDER))
    threads = [threading.Thread(target=fetch) for _ in range(2 * MAX_KERNELS)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        live = kernels(server.pid)
        peak = max(peak, len(live))
        sizes += [rss_mb(k) for k in live]
        time.sleep(0.05)
    finished = time.monotonic()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * MAX_KERNELS + [503] * MAX_KERNELS
    for answer in answers:
        if answer[0] == 503:
            refused(answer, 503, FULL)
    assert peak == MAX_KERNELS
    # No browser connected: each kernel is culled CULL_SECONDS after its page was rendered.
    gone = wait_for_no_kernels(server, timeout=CULL_SECONDS + 15)
    print(f"\nkernel RSS up to {max(sizes):.0f} MB; culled {time.monotonic() - finished:.1f} s after the "
          f"last page (waited {gone:.1f} s)")
    assert f"Culling kernels with idle durations > {CULL_SECONDS} seconds" in server.log.read_text()
    assert server.get(RENDER)[0] == 200  # room again


def test_defaults_bound_twelve_kernels_culled_within_75_seconds():
    assert SERVE_MAX_KERNELS.default == 12 and SERVE_CULL_TIMEOUT.default == 60
    args = serve_module.command(8866, "127.0.0.1", None, False, SERVE_MAX_KERNELS.default,
                                SERVE_CULL_TIMEOUT.default)
    assert "--PmoVoila.max_kernels=12" in args
    assert "--MappingKernelManager.cull_idle_timeout=60" in args
    assert "--MappingKernelManager.cull_interval=15" in args
    assert "--MappingKernelManager.cull_connected=False" in args
    assert "--Voila.port_retries=0" in args


# --- 4. port in use, port out of range -------------------------------------------------------------

@pytest.fixture
def some_db(tmp_path) -> Path:
    path = tmp_path / "pmo.duckdb"
    path.write_bytes(b"")  # serve only checks that the file exists before it checks the port
    return path


def test_port_in_use_is_one_line_and_exit_1(pmo_process, some_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = pmo_process("serve", "--db", some_db, "--port", port, timeout=60)
    assert code == 1
    assert err.splitlines() == [f"error: port {port} on 127.0.0.1 is in use (another pmo serve?); "
                                "choose another with --port"]
    assert "serving" not in out and "http://" not in out and "Traceback" not in err


@pytest.mark.parametrize("port", ["99999", "0", "-1", "eighty"])
def test_port_out_of_range_is_a_usage_error(pmo_process, some_db, port):
    code, out, err = pmo_process("serve", "--db", some_db, "--port", port, timeout=60)
    assert code == 2
    errors = [line for line in err.splitlines() if "error" in line]
    assert errors == [f"pmo serve: error: argument --port: the port must be a whole number from 1 to 65535, "
                      f"not '{port}'"]
    assert "serving" not in out and "Traceback" not in err


def test_max_kernels_must_be_positive(pmo_process, some_db):
    code, out, err = pmo_process("serve", "--db", some_db, "--max-kernels", "0", timeout=60)
    assert code == 2 and "argument --max-kernels" in err and "serving" not in out and "Traceback" not in err
