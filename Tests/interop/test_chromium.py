"""A real browser: headless Chromium (Debian `chromium` + `chromium-driver`,
driven by selenium) opens a page whose script talks to `switchboard echo`.

The page (served from a loopback http.server in a thread, charset=utf-8)
sends a Korean text, a binary message and a long chat text, reads the echoes
and `ws.extensions`, closes with 1000 and writes the result as JSON into
#result. Chromium offers permessage-deflate by itself. Over wss:// it trusts
the test CA's server certificate through --ignore-certificate-errors-spki-list
(the SPKI hash of that one certificate), not --ignore-certificate-errors; a
server with another certificate is refused (the control). The browser log
must have no SEVERE entry after a good run.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

KOREAN = "안녕하세요! 배송이 언제 오나요? 주문번호 2024-0001, 상품명: 무선 이어폰 🎧"
BINARY = bytes([0, 1, 2, 127, 128, 254, 255]) + bytes(range(256)) * 4
CHAT_LINE = "고객: 환불 요청드립니다. 상담원: 네, 주문 내역 확인 후 처리해 드리겠습니다. "
CHAT_REPEAT = 400

PAGE = """<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>switchboard echo test</title>
</head>
<body>
<p>한국어 테스트 페이지</p>
<pre id="result"></pre>
<script>
"use strict";
const KOREAN = %(korean)s;
const BINARY = new Uint8Array(%(binary)s);
const CHAT = %(chat_line)s.repeat(%(chat_repeat)d);
const result = document.getElementById("result");
let finished = false;
function finish(obj) {
  if (finished) return;
  finished = true;
  result.textContent = JSON.stringify(obj);
  result.setAttribute("data-done", "1");
}
try {
  const url = new URLSearchParams(location.search).get("url");
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const got = [];
  let errors = 0;
  const timer = setTimeout(() => finish({error: "timed out", got: got.length,
                                          readyState: ws.readyState}), 20000);
  ws.onopen = () => {
    ws.send(KOREAN);
    ws.send(BINARY);
    ws.send(CHAT);
  };
  ws.onerror = () => { errors += 1; };
  ws.onmessage = (ev) => {
    got.push(typeof ev.data === "string"
      ? {type: "text", data: ev.data}
      : {type: "binary", data: Array.from(new Uint8Array(ev.data))});
    if (got.length === 3) ws.close(1000, "done");
  };
  ws.onclose = (ev) => {
    clearTimeout(timer);
    finish({extensions: ws.extensions, protocol: ws.protocol, got, errors,
            close: {code: ev.code, reason: ev.reason, wasClean: ev.wasClean}});
  };
} catch (e) {
  finish({error: String(e)});
}
</script>
</body>
</html>
"""


def render_page() -> bytes:
    return (PAGE % {
        "korean": json.dumps(KOREAN, ensure_ascii=False),
        "binary": json.dumps(list(BINARY)),
        "chat_line": json.dumps(CHAT_LINE, ensure_ascii=False),
        "chat_repeat": CHAT_REPEAT,
    }).encode("utf-8")


class _PageHandler(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self):  # noqa: N802
        if self.path.split("?", 1)[0] != "/echo.html":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def page_url():
    handler = type("Handler", (_PageHandler,), {"page": render_page()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/echo.html"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(server_cert, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh installs chromium "
                    "and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMEDRIVER.exists(), (
        f"{CHROMIUM} is installed but {CHROMEDRIVER} is not (apt-get install chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--disable-gpu",
                "--disable-background-networking", "--lang=ko-KR",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                # Trust exactly the test server's certificate (by its public
                # key), not any certificate at all.
                f"--ignore-certificate-errors-spki-list={server_cert.spki_sha256_b64}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=opts, service=service)
    try:
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        yield driver
    finally:
        driver.quit()


def run_page(driver, page_url: str, ws_url: str, timeout: float = 30) -> tuple[dict, list]:
    """Load the page against `ws_url`; return (its result, browser log entries)."""
    from urllib.parse import quote

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop entries from earlier pages
    driver.get(f"{page_url}?url={quote(ws_url, safe='')}")
    el = driver.find_element(By.ID, "result")
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: el.get_attribute("data-done") == "1")
    result = json.loads(el.text)
    logs = driver.get_log("browser")
    driver.get("about:blank")
    return result, logs


def assert_good_run(result: dict, logs: list) -> None:
    assert "error" not in result, f"page reported: {result}"
    got = result["got"]
    assert [g["type"] for g in got] == ["text", "binary", "text"], result
    assert got[0]["data"] == KOREAN, f"Korean text came back as {got[0]['data']!r}"
    assert bytes(got[1]["data"]) == BINARY
    assert got[2]["data"] == CHAT_LINE * CHAT_REPEAT
    # The server echoes the close code (its reason is its own business).
    assert result["close"]["code"] == 1000 and result["close"]["wasClean"], result
    assert result["errors"] == 0
    agreed = [e.split(";")[0].strip() for e in result["extensions"].split(",")]
    assert "permessage-deflate" in agreed, (
        f"Chromium offers permessage-deflate; ws.extensions = {result['extensions']!r}")
    severe = [e for e in logs if e.get("level") == "SEVERE"]
    assert not severe, f"SEVERE entries in the browser log: {severe}"


@pytest.mark.parametrize("args", [
    pytest.param((), id="per-connection"),
    pytest.param(("--deflate-shared",), id="shared"),
    pytest.param(("--deflate-min-size", "64"), id="min-size-64"),
])
def test_chromium_ws(browser, page_url, start_server, args):
    srv = start_server(*args)
    result, logs = run_page(browser, page_url, f"ws://127.0.0.1:{srv.port}/chromium")
    assert_good_run(result, logs)


@pytest.mark.parametrize("args", [
    pytest.param((), id="per-connection"),
    pytest.param(("--deflate-shared",), id="shared"),
])
def test_chromium_wss_with_test_ca(browser, page_url, start_tls_server, args):
    srv = start_tls_server(*args)
    result, logs = run_page(browser, page_url, f"wss://127.0.0.1:{srv.port}/chromium")
    assert_good_run(result, logs)


def test_chromium_refuses_a_certificate_not_on_the_spki_list(browser, page_url,
                                                             start_tls_server, test_ca,
                                                             tmp_path):
    """The control: the same CA, another key - Chromium must refuse it, so the
    runs above were trusted by the SPKI pin alone."""
    other = test_ca.issue(tmp_path / "unpinned")
    srv = start_tls_server(cert=other)
    result, logs = run_page(browser, page_url, f"wss://127.0.0.1:{srv.port}/chromium")
    assert "error" not in result, result
    assert result["got"] == [], f"an unpinned certificate was accepted: {result}"
    assert result["close"]["code"] == 1006 and not result["close"]["wasClean"], result
    assert result["errors"] >= 1
    messages = " ".join(str(e.get("message", "")) for e in logs)
    assert "ERR_CERT" in messages, f"expected a certificate error in the browser log: {logs}"
