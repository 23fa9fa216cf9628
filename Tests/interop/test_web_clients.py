"""The web clients in a real browser: headless Chromium (Debian `chromium` +
`chromium-driver`, driven by selenium) against a real `switchboard serve`, which
serves the demo store page with the chat widget (`/`), the agent console
(`/console`) and the supervisor dashboard (`/dashboard`) from the binary.

1. A shopper (one browser) and an agent (another) hold a whole conversation in
   Korean: pre-chat form, FAQ offer declined, the line, pairing, messages both ways
   with typing and read receipts, end, rating, transcript download; a supervisor
   (a third browser) watches the dashboard.
2. The shopper's socket is closed from the page while the agent keeps writing and
   the shopper writes offline; the widget shows "reconnecting", resumes, and nothing
   is lost or doubled on either side (also after a reload of the page).
3. Outside business hours the widget offers "leave a message"; an agent who comes
   on duty sees it in the console.
4. The dashboard under traffic played over the protocol: waits, service level,
   abandonment, the phone comparison drawn as SVG bars, agents by status.
5. Offer mode: an agent declines an offer, accepts the next, and transfers the chat
   to a second agent's console, which gets the transcript so far.
6. English: the store page at /en, its widget and the console with ?lang=en.

Plus plain HTTP checks of how the pages are served (types, CSP, ETag, 404/405).
No browser log may hold a SEVERE entry. Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import datetime
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from broker_proc import BrokerServer, broker_config
from switchboard_proc import REPO_ROOT

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = REPO_ROOT / "test-output" / "screenshots"
WAIT = 10.0

MINJI = {"handle": "minji.park", "name": "박민지", "secret": "minji-secret-1", "skills": ["orders", "returns", "products", "other"]}
LEAD = {"login": "lead.choi", "name": "최팀장", "secret": "lead-secret-1"}
FAST = "[limits]\nmax_messages_per_second = 1000\nmessage_burst = 5000\n"
CANNED = """
[console]
canned_replies = ["안녕하세요, 고객님! 상담원 {name}입니다.", "더 궁금하신 점이 있으신가요? 이용해 주셔서 감사합니다."]
"""
FAQ = """
[faq]
threshold = 0.2
[[faq.entries]]
id = "delivery-time"
question = "배송은 얼마나 걸리나요?"
answer = "결제 완료 후 1~2영업일 안에 출고되며, 출고 후 보통 1~2일 안에 받으실 수 있어요."
keywords = ["배송", "도착"]
[[faq.entries]]
id = "delivery-tracking"
question = "배송 조회는 어디서 하나요?"
answer = "마이페이지 > 주문내역에서 송장번호를 누르면 배송 상황을 볼 수 있어요."
keywords = ["배송 조회", "송장"]
"""


# ---- fixtures ---------------------------------------------------------------------------

@pytest.fixture
def start_broker(tmp_path):
    brokers: list[BrokerServer] = []

    def start(config: str) -> BrokerServer:
        path = tmp_path / f"switchboard-{len(brokers)}.toml"
        path.write_text(config, encoding="utf-8")
        srv = BrokerServer(path, (), log_path=tmp_path / f"broker-{len(brokers)}.log")
        srv.start()
        brokers.append(srv)
        return srv

    yield start
    problems = []
    for srv in brokers:
        problems += srv.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def browsers(tmp_path):
    """A factory of headless Chromium instances (each its own profile); every
    browser log is checked for SEVERE entries when the test ends."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh installs chromium and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    made = []

    def make(name: str, width: int = 1280, height: int = 860):
        opts = webdriver.ChromeOptions()
        opts.binary_location = str(CHROMIUM)
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
                    "--disable-extensions", "--disable-gpu", "--disable-background-networking",
                    "--lang=ko-KR", "--autoplay-policy=no-user-gesture-required",
                    f"--window-size={width},{height}", f"--user-data-dir={tmp_path / ('profile-' + name)}"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=opts, service=Service(str(CHROMEDRIVER)))
        driver.set_page_load_timeout(20)
        driver.set_script_timeout(20)
        driver.label = name
        driver.logs = []
        made.append(driver)
        return driver

    yield make
    severe = []
    for d in made:
        try:
            entries = d.logs + d.get_log("browser")
            severe += [f"{d.label}: {e['message']}" for e in entries if e.get("level") == "SEVERE"]
        finally:
            d.quit()
    assert not severe, "SEVERE entries in the browser logs:\n" + "\n".join(severe)


# ---- helpers ------------------------------------------------------------------------------

def wait(driver, condition, timeout: float = WAIT, what: str = ""):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    # Pages re-render parts of themselves: an element found a moment ago may be gone.
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: condition(d), message=what)


def css(driver, selector: str):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver, selector: str):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def visible(driver, selector: str, timeout: float = WAIT):
    """The first element matching `selector` once it is displayed."""
    def find(d):
        for e in all_css(d, selector):
            if e.is_displayed():
                return e
        return None
    return wait(driver, find, timeout, f"{driver.label}: {selector} never became visible")


def texts(driver, selector: str) -> list[str]:
    return [e.text for e in all_css(driver, selector)]


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(0.3)  # let the panel's opening animation (0.18 s) finish
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def shot_panel(driver, name: str) -> None:
    """The widget's panel alone (for the README)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(0.3)
    css(driver, ".sbw-panel").screenshot(str(SHOTS / f"{name}.png"))


def keep_logs(driver) -> None:
    """Collect the log so far (a navigation would drop it)."""
    driver.logs += driver.get_log("browser")


def sign_in(driver, url: str, account: dict) -> None:
    driver.get(url)
    visible(driver, "#login").send_keys(account.get("handle") or account["login"])
    css(driver, "#secret").send_keys(account["secret"])
    css(driver, ".signin-card button[type=submit]").click()


def agent_console(browsers, srv, name="agent"):
    agent = browsers(name, 1360, 820)
    sign_in(agent, srv.http_url("/console"), MINJI)
    visible(agent, ".segmented")
    return agent


def set_status(agent, status: str) -> None:
    css(agent, f'.seg[data-status="{status}"]').click()
    wait(agent, lambda d: "is-on" in css(d, f'.seg[data-status="{status}"]').get_attribute("class"),
         what=f"agent status never became {status}")


def open_widget(driver, srv) -> None:
    driver.get(srv.http_url("/"))
    visible(driver, ".sbw-launcher").click()
    wait(driver, lambda d: css(d, ".sbw-prechat button[type=submit]").is_enabled(), what="the widget never said hello")


def fill_prechat(driver, question: str, queue: str = "orders") -> None:
    from selenium.webdriver.support.ui import Select
    Select(css(driver, ".sbw-prechat select")).select_by_value(queue)
    css(driver, '.sbw-prechat input[name="name"]').send_keys("김하늘")
    css(driver, '.sbw-prechat input[name="order_number"]').send_keys("2026050412345")
    css(driver, '.sbw-prechat input[name="product"]').send_keys("소리결 무선 이어폰 S2")
    css(driver, '.sbw-prechat textarea').send_keys(question)


def widget_send(driver, text: str) -> None:
    from selenium.webdriver.common.keys import Keys
    box = visible(driver, ".sbw-composer-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def console_send(agent, text: str) -> None:
    from selenium.webdriver.common.keys import Keys
    box = visible(agent, ".composer-input")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def count_text(driver, selector: str, text: str) -> int:
    return sum(1 for t in texts(driver, selector) if text in t)


# ---- HTTP -----------------------------------------------------------------------------------

def fetch(url: str, method: str = "GET", headers: dict | None = None):
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_pages_are_served_with_types_csp_and_etags(start_broker):
    srv = start_broker(broker_config(extra=FAST))
    expected = {"/": "text/html; charset=utf-8", "/widget.js": "text/javascript; charset=utf-8",
                "/widget.css": "text/css; charset=utf-8", "/console": "text/html; charset=utf-8",
                "/dashboard": "text/html; charset=utf-8", "/staff.js": "text/javascript; charset=utf-8",
                "/favicon.svg": "image/svg+xml; charset=utf-8"}
    for path, ctype in expected.items():
        status, headers, body = fetch(srv.http_url(path))
        assert status == 200, path
        assert headers["Content-Type"] == ctype, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-cache"
        assert body, path
        if ctype.startswith("text/html"):
            csp = headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        status, again, _ = fetch(srv.http_url(path), headers={"If-None-Match": headers["ETag"]})
        assert status == 304, path
        assert again["ETag"] == headers["ETag"]
    # The widget is embedded by one script tag with its attributes.
    _, _, index = fetch(srv.http_url("/"))
    page = index.decode("utf-8")
    assert '<script src="/widget.js"' in page and 'data-locale="ko"' in page and "data-topics=" in page
    assert "하늘마켓" in page
    # The widget's files may be loaded by shops on other origins.
    assert fetch(srv.http_url("/widget.js"))[1]["Cross-Origin-Resource-Policy"] == "cross-origin"
    for path in ("/nope", "/console.html", "/index.html", "/widget", "/../Package.swift", "/web/widget.js"):
        assert fetch(srv.http_url(path))[0] == 404, path
    # HEAD: the GET's headers and length, no body.
    _, get_headers, get_body = fetch(srv.http_url("/widget.js"))
    status, head_headers, head_body = fetch(srv.http_url("/widget.js"), method="HEAD")
    assert status == 200 and head_body == b""
    assert head_headers["Content-Length"] == str(len(get_body)) == get_headers["Content-Length"]
    status, headers, _ = fetch(srv.http_url("/console"), method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    # The operator endpoints are still there.
    assert fetch(srv.http_url("/healthz"))[0] == 200
    assert fetch(srv.http_url("/v1/stats"))[0] == 200


# ---- 1. a whole conversation -------------------------------------------------------------------

def test_shopper_and_agent_hold_a_whole_conversation_in_korean(start_broker, browsers, tmp_path):
    srv = start_broker(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST + FAQ + CANNED))
    agent = agent_console(browsers, srv)
    set_status(agent, "away")          # on duty, taking nothing yet: the shopper waits in line
    shot(agent, "console-signed-in")

    shopper = browsers("shopper", 1280, 860)
    shopper.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    open_widget(shopper, srv)
    fill_prechat(shopper, "주문한 이어폰 배송이 언제 도착하나요?")
    shot(shopper, "widget-prechat")
    shot_panel(shopper, "widget-prechat-panel")
    css(shopper, ".sbw-prechat button[type=submit]").click()

    # The FAQ answers come first; the shopper wants a person.
    card = visible(shopper, ".sbw-faq-card")
    assert "배송" in card.text
    shot(shopper, "widget-faq")
    shot_panel(shopper, "widget-faq-panel")
    css(shopper, ".sbw-faq-continue").click()

    # In line, first, with the place shown.
    place = visible(shopper, ".sbw-place")
    wait(shopper, lambda d: "1" in place.text or "곧" in place.text, what="no place in line")
    shot(shopper, "widget-queue")
    shot_panel(shopper, "widget-queue-panel")

    supervisor = browsers("supervisor", 1360, 900)
    sign_in(supervisor, srv.http_url("/dashboard"), LEAD)
    wait(supervisor, lambda d: css(d, '[data-kpi="waiting"] .value').text == "1", what="dashboard never showed the waiting chat")

    # The agent comes available and is given the chat.
    set_status(agent, "available")
    conv = visible(agent, ".conv-item")
    assert "김하늘" in conv.text
    facts = css(agent, ".facts").text
    assert "2026050412345" in facts and "소리결 무선 이어폰 S2" in facts
    visible(agent, ".msg-customer")
    assert "배송이 언제 도착하나요" in css(agent, ".messages").text
    visible(shopper, ".sbw-composer-input")
    wait(shopper, lambda d: "박민지" in css(d, ".sbw-title").text, what="agent's name not shown")

    # The agent types: the shopper sees it; then the message arrives.
    box = visible(agent, ".composer-input")
    box.send_keys("안녕하세요, 고객님! 상담원 박민지입니다.")
    visible(shopper, ".sbw-typing")
    assert "박민지" in css(shopper, ".sbw-typing").text
    from selenium.webdriver.common.keys import Keys
    box.send_keys(Keys.ENTER)
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "상담원 박민지입니다") == 1, what="agent's message never reached the widget")
    wait(shopper, lambda d: css(d, ".sbw-typing").get_attribute("hidden") is not None, what="typing indicator stayed")
    # The shopper has the panel open, so the agent's message is read.
    wait(agent, lambda d: any(e.get_attribute("data-state") == "read" for e in all_css(d, ".msg-own .msg-status")), what="no read receipt at the agent")

    # Both sides are half-way through a message when the other side's arrives: the
    # drafts stay in the composers.
    draft = visible(shopper, ".sbw-composer-input")
    draft.send_keys("감사합니다! ")
    console_send(agent, "주문번호 2026050412345 확인했습니다. 오늘 출고되어 내일 도착 예정이에요.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "오늘 출고되어") == 1)
    agent_draft = css(agent, ".composer-input")
    agent_draft.send_keys("네, 오전 중 도착할 가능성이 높아요.")
    widget_send(shopper, "내일 오전에 받을 수 있을까요?")
    wait(agent, lambda d: count_text(d, ".msg-customer .bubble", "감사합니다! 내일 오전에 받을 수 있을까요?") == 1,
         what="shopper's message (with the draft typed before the agent's reply) never reached the console")
    wait(shopper, lambda d: any(e.get_attribute("data-state") == "read" for e in all_css(d, ".sbw-msg-own .sbw-status")),
         what="the shopper's message never showed as read")
    # A canned reply from the configuration, after a few words of the agent's own.
    chips = all_css(agent, ".canned .chip-button")
    assert [c.get_attribute("title") for c in chips] == ["안녕하세요, 고객님! 상담원 박민지입니다.",
                                                         "더 궁금하신 점이 있으신가요? 이용해 주셔서 감사합니다."]
    box = css(agent, ".composer-input")
    assert box.get_attribute("value") == "네, 오전 중 도착할 가능성이 높아요."
    chips[1].click()
    box.send_keys(Keys.ENTER)
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "오전 중 도착할 가능성이 높아요. 더 궁금하신 점이 있으신가요?") == 1,
         what="the canned reply never reached the widget")
    shot(shopper, "widget-chat")
    shot_panel(shopper, "widget-chat-panel")
    shot(agent, "console-chat")

    wait(supervisor, lambda d: "1 / 1" in css(d, '[data-kpi="agents"] .value').text, what="dashboard never showed the agent available")
    wait(supervisor, lambda d: css(d, '[data-kpi="waiting"] .value').text == "0")
    assert "박민지" in css(supervisor, ".agents").text
    shot(supervisor, "dashboard-one-chat")

    # The agent ends the chat; the shopper rates it and saves the transcript.
    css(agent, ".end-chat").click()
    visible(agent, ".confirm-end").click()
    visible(shopper, ".sbw-rating")
    assert "상담원이 상담을 종료했어요" in css(shopper, ".sbw-messages").text
    css(shopper, 'label[for="sbw-star-5"]').click()
    css(shopper, ".sbw-rating textarea").send_keys("빠르고 친절한 답변 감사합니다 😊")
    shot(shopper, "widget-rating")
    shot_panel(shopper, "widget-rating-panel")
    css(shopper, ".sbw-rating button[type=submit]").click()
    visible(shopper, ".sbw-thanks")
    wait(agent, lambda d: "★5" in css(d, ".messages").text, what="the rating never reached the console")
    shot(agent, "console-ended")

    css(shopper, ".sbw-download").click()
    transcript = wait(shopper, lambda d: next(iter(tmp_path.glob("transcript-*.txt")), None), what="no transcript downloaded")
    shot(shopper, "widget-ended")
    shot_panel(shopper, "widget-ended-panel")
    text = transcript.read_text(encoding="utf-8-sig")
    # The broker's export (GET /v1/conversations/{id}/transcript.txt), in Korean and the
    # centre's zone, with words for how the chat ended.
    assert text.startswith("상담 기록 ") and "시간대: Asia/Seoul (UTC+09:00)" in text, text[:200]
    assert "상담이 끝났어요: 상담원이 종료했어요" in text and "agent_ended" not in text
    assert "주문한 이어폰 배송이 언제 도착하나요?" in text
    assert "안녕하세요, 고객님! 상담원 박민지입니다." in text and "박민지" in text
    assert "감사합니다! 내일 오전에 받을 수 있을까요?" in text
    assert text.count("오전 중 도착할 가능성이 높아요") == 1

    # On a phone the panel takes the whole screen.
    phone = browsers("phone", 500, 900)
    phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    open_widget(phone, srv)
    panel = css(phone, ".sbw-panel").rect
    assert panel["width"] == 390 and panel["x"] == 0, panel
    shot(phone, "widget-phone")


# ---- 2. a dropped connection -----------------------------------------------------------------------

def test_a_dropped_shopper_connection_resumes_with_nothing_lost_or_doubled(start_broker, browsers):
    srv = start_broker(broker_config(agents=[MINJI], extra=FAST))
    agent = agent_console(browsers, srv)
    set_status(agent, "available")
    shopper = browsers("shopper", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "반품 신청은 어떻게 하나요?", queue="returns")
    css(shopper, ".sbw-prechat button[type=submit]").click()
    visible(shopper, ".sbw-composer-input")
    visible(agent, ".composer-input")
    console_send(agent, "안녕하세요, 반품 도와드릴게요.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "반품 도와드릴게요") == 1)

    # The socket closes; the widget stays away (until told to come back) and says it
    # is reconnecting.
    shopper.execute_script("SwitchboardWidget.dropConnection(60000)")
    banner = visible(shopper, ".sbw-banner")
    assert "다시 연결하는 중" in banner.text
    assert shopper.execute_script("return SwitchboardWidget.state().connected") is False
    # Meanwhile the agent keeps writing and the shopper writes offline.
    for i in range(1, 4):
        console_send(agent, f"안내 {i}번: 마이페이지에서 반품을 신청해 주세요.")
    widget_send(shopper, "오프라인에서 쓴 메시지예요")
    assert count_text(shopper, ".sbw-msg-pending", "오프라인에서 쓴 메시지예요") == 1
    shot(shopper, "widget-reconnecting")
    shot_panel(shopper, "widget-reconnecting-panel")
    shopper.execute_script("SwitchboardWidget.reconnect()")

    wait(shopper, lambda d: d.execute_script("return SwitchboardWidget.state().connected") is True, timeout=15,
         what="the widget never reconnected")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "안내 3번") == 1, what="messages written during the gap were lost")
    wait(agent, lambda d: count_text(d, ".msg-customer .bubble", "오프라인에서 쓴 메시지예요") == 1, what="the offline message never arrived")
    wait(shopper, lambda d: not all_css(d, ".sbw-msg-pending"), what="a message stayed pending")

    # A message whose ack is lost: sent, then the socket closes at once. Its re-send
    # after the resume must not be recorded twice.
    shopper.execute_script("""
        var box = document.querySelector('.sbw-composer-input');
        box.value = '확인 부탁드려요 (ack 유실)';
        box.form.requestSubmit();
        SwitchboardWidget.dropConnection(300);
    """)
    wait(shopper, lambda d: d.execute_script("return SwitchboardWidget.state().connected && SwitchboardWidget.state().outbox === 0") is True,
         timeout=15, what="the widget never settled after the lost ack")
    console_send(agent, "네, 확인했습니다.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "네, 확인했습니다.") == 1)

    # And after a reload of the page, from sessionStorage and the server's history.
    keep_logs(shopper)
    shopper.refresh()
    wait(shopper, lambda d: d.execute_script("return window.SwitchboardWidget && SwitchboardWidget.state().connected") is True,
         what="no resume after a reload")
    visible(shopper, ".sbw-composer-input")

    def once_each(d, selector, phrases):
        return all(count_text(d, selector, p) == 1 for p in phrases)
    agent_lines = ["반품 도와드릴게요", "안내 1번", "안내 2번", "안내 3번", "네, 확인했습니다."]
    own_lines = ["오프라인에서 쓴 메시지예요", "확인 부탁드려요 (ack 유실)"]
    wait(shopper, lambda d: once_each(d, ".sbw-msg-agent .sbw-bubble", agent_lines) and once_each(d, ".sbw-msg-own .sbw-bubble", own_lines),
         what="after the reload the widget does not hold each message exactly once")
    seqs = [e.get_attribute("data-seq") for e in all_css(shopper, ".sbw-messages [data-seq]")]
    assert len(seqs) == len(set(seqs)), f"an event is shown twice: {seqs}"
    assert once_each(agent, ".msg-customer .bubble", own_lines), texts(agent, ".msg-customer .bubble")
    agent_seqs = [e.get_attribute("data-seq") for e in all_css(agent, ".messages [data-seq]")]
    assert agent_seqs == sorted(set(agent_seqs), key=int), agent_seqs
    shot(shopper, "widget-resumed")


def test_after_the_grace_period_the_widget_says_so_and_starts_afresh(start_broker, browsers):
    srv = start_broker(broker_config(agents=[MINJI], extra=FAST + "[grace]\ncustomer_seconds = 1\n"))
    agent = agent_console(browsers, srv)
    set_status(agent, "available")
    shopper = browsers("shopper", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "결제가 두 번 된 것 같아요")
    css(shopper, ".sbw-prechat button[type=submit]").click()
    visible(shopper, ".sbw-composer-input")
    shopper.execute_script("SwitchboardWidget.dropConnection(60000)")
    # The agent sees the customer time out once the grace period has passed.
    wait(agent, lambda d: "고객 연결 시간 초과" in css(d, ".messages").text, timeout=10, what="the conversation never timed out")
    shopper.execute_script("SwitchboardWidget.reconnect()")
    banner = visible(shopper, ".sbw-banner-info")
    assert "이전 상담이 종료되었어요" in banner.text
    visible(shopper, ".sbw-prechat")
    assert shopper.execute_script("return SwitchboardWidget.state().conversation") is None
    assert css(shopper, '.sbw-prechat input[name="order_number"]').get_attribute("value") == "2026050412345"


def test_a_wrong_secret_is_refused_on_the_console_and_the_dashboard(start_broker, browsers):
    srv = start_broker(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST))
    page = browsers("staff", 1280, 800)
    for path, account in (("/console", MINJI), ("/dashboard", LEAD)):
        sign_in(page, srv.http_url(path), dict(account, secret="not the secret"))
        error = visible(page, ".form-error")
        assert error.text == "아이디 또는 비밀번호가 올바르지 않습니다."
        assert css(page, ".signin-card button[type=submit]").is_enabled()
        keep_logs(page)


def test_too_many_failed_sign_ins_are_explained_not_retried(start_broker, browsers):
    srv = start_broker(broker_config(agents=[MINJI], extra=FAST + "failed_sign_ins_per_minute = 1\n"))
    page = browsers("staff", 1280, 800)
    sign_in(page, srv.http_url("/console"), dict(MINJI, secret="not the secret"))
    assert visible(page, ".form-error").text == "아이디 또는 비밀번호가 올바르지 않습니다."
    sign_in(page, srv.http_url("/console"), MINJI)  # the right secret, but this address must wait
    error = visible(page, ".form-error")
    assert "로그인 실패가 너무 많습니다" in error.text and "초 후에 다시 시도하세요" in error.text, error.text
    assert css(page, ".signin-card button[type=submit]").is_enabled()
    keep_logs(page)


# ---- 3. leave a message --------------------------------------------------------------------------

def test_outside_business_hours_the_widget_takes_a_message(start_broker, browsers):
    # Open only on a weekday two days from today (UTC): closed now, opening later. The
    # centre keeps Berlin time (daylight saving included); the widget names the zone.
    day = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%A").lower()
    hours = f'[business_hours]\ntime_zone = "Europe/Berlin"\n{day} = ["09:00-18:00"]\n'
    srv = start_broker(broker_config(agents=[MINJI], extra=FAST + hours))
    shopper = browsers("shopper", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "교환 신청하고 싶어요. 사이즈가 맞지 않아요.", queue="returns")
    css(shopper, ".sbw-prechat button[type=submit]").click()

    reason = visible(shopper, ".sbw-leave-reason")
    assert "운영 시간이 아니에요" in reason.text and "다음 운영 시작" in reason.text
    assert "오전 9:00 (Europe/Berlin)" in reason.text, reason.text
    text = css(shopper, ".sbw-leave textarea")
    assert text.get_attribute("value") == "교환 신청하고 싶어요. 사이즈가 맞지 않아요."
    css(shopper, ".sbw-leave input").send_keys("haneul@example.com")
    shot(shopper, "widget-leave-message")
    shot_panel(shopper, "widget-leave-message-panel")
    css(shopper, ".sbw-leave button[type=submit]").click()
    done = visible(shopper, ".sbw-done")
    assert "접수되었어요" in done.text
    shot(shopper, "widget-message-stored")
    shot_panel(shopper, "widget-message-stored-panel")

    # An agent who comes on duty gets it in the console.
    agent = agent_console(browsers, srv)
    set_status(agent, "available")
    card = wait(agent, lambda d: next((e for e in all_css(d, ".list.left .card") if "사이즈" in e.text), None),
                what="the left message never reached the console")
    assert "haneul@example.com" in card.text and "김하늘" in card.text
    shot(agent, "console-left-message")


def test_with_nobody_on_duty_the_widget_takes_a_message(start_broker, browsers):
    srv = start_broker(broker_config(extra=FAST))          # open, but no agents at all
    shopper = browsers("shopper", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "상품 재입고 언제 되나요?", queue="products")
    css(shopper, ".sbw-prechat button[type=submit]").click()
    reason = visible(shopper, ".sbw-leave-reason")
    assert "상담 가능한 상담원이 없어요" in reason.text
    css(shopper, ".sbw-leave button[type=submit]").click()
    assert "접수되었어요" in visible(shopper, ".sbw-done").text


# ---- 4. the dashboard with traffic -----------------------------------------------------------------

class WirePeer:
    """A customer or agent played over the protocol by the test (Python websockets)."""

    def __init__(self, srv: BrokerServer, role: str, hello: dict):
        from websockets.sync.client import connect
        self.ws = connect(srv.ws_url(role), subprotocols=["switchboard.v1"], open_timeout=10, close_timeout=3)
        self.send(type="hello", **hello)
        self.expect("welcome")

    def send(self, **message) -> None:
        self.ws.send(json.dumps(message, ensure_ascii=False))

    def expect(self, type_: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message["type"] == type_:
                return message


def test_the_dashboard_draws_live_waits_and_the_phone_comparison(start_broker, browsers):
    minji = dict(MINJI, chat_capacity=1)
    joon = {"handle": "joon.lee", "name": "이준", "secret": "joon-secret-1", "chat_capacity": 1}
    srv = start_broker(broker_config(agents=[minji, joon], supervisors=[LEAD], extra=FAST))
    supervisor = browsers("supervisor", 1360, 1000)
    sign_in(supervisor, srv.http_url("/dashboard"), LEAD)
    visible(supervisor, '[data-kpi="waiting"]')

    agent = WirePeer(srv, "agent", {"login": minji["handle"], "secret": minji["secret"]})
    agent.send(type="set_status", status="available")
    customers = []
    for i in range(5):
        c = WirePeer(srv, "customer", {"language": "ko"})
        c.send(type="start_chat", queue="orders" if i % 2 == 0 else "returns", name=f"고객{i + 1}",
               first_message=f"{i + 1}번 고객 문의입니다")
        customers.append(c)
    # One chat at a time: the others wait in line while the dashboard watches.
    wait(supervisor, lambda d: css(d, '[data-kpi="waiting"] .value').text == "4", what="the dashboard never showed 4 waiting")
    customers[4].send(type="end")          # gives up waiting: abandonment
    for _ in range(4):
        assigned = agent.expect("assigned")
        time.sleep(0.6)
        agent.send(type="send", id=f"m-{assigned['conversation']}", conversation=assigned["conversation"], text="안녕하세요, 확인해 드릴게요.")
        time.sleep(0.3)
        agent.send(type="end", conversation=assigned["conversation"])
    second = WirePeer(srv, "agent", {"login": joon["handle"], "secret": joon["secret"]})
    second.send(type="set_status", status="away")

    def filled(d):
        return all(css(d, f'[data-kpi="{k}"] .value').text not in ("–", "") for k in ("chat-wait", "service-level", "abandoned", "phone-wait"))
    wait(supervisor, filled, timeout=15, what="the dashboard's wait figures stayed empty")
    assert css(supervisor, '[data-kpi="waiting"] .value').text == "0"
    assert "%" in css(supervisor, '[data-kpi="abandoned"] .value').text
    wait(supervisor, lambda d: len(all_css(d, ".panel svg rect")) >= 4, what="no bars in the waits chart")
    rows = {r.get_attribute("data-queue"): r.text for r in all_css(supervisor, "tbody tr")}
    assert "주문/배송" in rows["orders"] and "취소/반품/환불" in rows["returns"]
    wait(supervisor, lambda d: "이준" in css(d, ".agents").text and "박민지" in css(d, ".agents").text)
    wait(supervisor, lambda d: css(d, '[data-kpi="agents"] .value').text == "1 / 2", what="available / on duty not 1 / 2")
    shot(supervisor, "dashboard")


# ---- 5. offers and a transfer between two consoles ----------------------------------------------------

def test_an_agent_declines_then_accepts_an_offer_and_transfers_the_chat(start_broker, browsers):
    joon = {"handle": "joon.lee", "name": "이준", "secret": "joon-secret-1"}
    offers = '[routing]\nmode = "offer"\noffer_timeout_seconds = 30\nreoffer_delay_seconds = 0\n'
    srv = start_broker(broker_config(agents=[MINJI, joon], extra=FAST + offers))
    minji_console = agent_console(browsers, srv, "minji")
    set_status(minji_console, "available")
    joon_console = browsers("joon", 1360, 820)
    sign_in(joon_console, srv.http_url("/console"), joon)
    visible(joon_console, ".segmented")
    set_status(joon_console, "away")

    shopper = browsers("shopper", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "사이즈 교환하고 싶어요", queue="returns")
    css(shopper, ".sbw-prechat button[type=submit]").click()

    offer = visible(minji_console, ".card.offer")
    assert "김하늘" in offer.text and "사이즈 교환" in offer.text and "초 남음" in offer.text
    assert minji_console.title.startswith("(1) ") or minji_console.title.startswith("●"), minji_console.title
    shot(minji_console, "console-offer")
    first = offer.get_attribute("data-offer")
    css(minji_console, ".card.offer .decline").click()
    # Offered again as a new offer (no re-offer delay here); this time she takes it.
    again = wait(minji_console, lambda d: next((c for c in all_css(d, ".card.offer") if c.get_attribute("data-offer") != first), None),
                 what="no second offer after the decline")
    assert not [c for c in all_css(minji_console, ".card.offer") if c.get_attribute("data-offer") == first], "the declined offer stayed"
    again.find_element("css selector", ".accept").click()
    visible(minji_console, ".composer-input")
    wait(shopper, lambda d: "박민지" in css(d, ".sbw-title").text)
    console_send(minji_console, "교환 담당자에게 연결해 드릴게요.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "교환 담당자에게") == 1)

    # Straight to 이준, who comes available; he gets the whole transcript.
    set_status(joon_console, "available")
    css(minji_console, ".transfer-open").click()
    from selenium.webdriver.support.ui import Select
    Select(css(minji_console, ".transfer-form select")).select_by_value("agent")
    wait(minji_console, lambda d: any(o.get_attribute("value") == "joon.lee" for o in all_css(d, ".transfer-form select.target option")))
    Select(css(minji_console, ".transfer-form select.target")).select_by_value("joon.lee")
    css(minji_console, ".transfer-form button[type=submit]").click()
    wait(minji_console, lambda d: "is-ended" in css(d, ".conv-item").get_attribute("class"), what="the chat never left 박민지")
    visible(joon_console, ".conv-item")
    wait(joon_console, lambda d: "교환 담당자에게 연결해 드릴게요." in css(d, ".messages").text and "사이즈 교환하고 싶어요" in css(d, ".messages").text,
         what="이준 never got the transcript so far")
    wait(shopper, lambda d: "이준" in css(d, ".sbw-title").text, what="the widget never showed the new agent")
    console_send(joon_console, "안녕하세요, 이준입니다. 교환 도와드릴게요.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "이준입니다") == 1)
    assert "다른 상담원에게 연결하고 있어요" in css(shopper, ".sbw-messages").text
    shot(joon_console, "console-transferred")


# ---- 6. English -----------------------------------------------------------------------------------------

def test_the_english_store_page_widget_and_console_speak_english(start_broker, browsers):
    srv = start_broker(broker_config(agents=[MINJI], extra=FAST))
    agent = browsers("agent", 1360, 820)
    agent.get(srv.http_url("/console?lang=en"))
    assert visible(agent, ".signin-card h1").text == "Agent console"
    visible(agent, "#login").send_keys(MINJI["handle"])
    css(agent, "#secret").send_keys(MINJI["secret"])
    css(agent, ".signin-card button[type=submit]").click()
    available = visible(agent, '.seg[data-status="available"]')
    assert available.text == "Available"
    available.click()

    shopper = browsers("shopper", 1280, 860)
    shopper.get(srv.http_url("/en"))
    visible(shopper, ".sbw-launcher").click()
    # Selenium reads the text of displayed elements only: wait for the panel to show it.
    wait(shopper, lambda d: css(d, ".sbw-prechat button[type=submit]").is_enabled()
         and css(d, ".sbw-prechat button[type=submit]").text == "Start chat",
         what="the English widget never offered 'Start chat'")
    start = css(shopper, ".sbw-prechat button[type=submit]")
    topics = [o.text for o in all_css(shopper, ".sbw-prechat select option")]
    assert topics[0] == "Orders and delivery", topics
    css(shopper, ".sbw-prechat textarea").send_keys("Where is my order?")
    start.click()
    visible(shopper, ".sbw-composer-input")
    wait(shopper, lambda d: "joined the chat" in css(d, ".sbw-messages").text)
    console_send(agent, "Hello! Let me check.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "Hello! Let me check.") == 1)
    wait(agent, lambda d: "Read" in css(d, ".messages").text, what="no read receipt shown in English")
    shot(shopper, "widget-english")
    shot_panel(shopper, "widget-english-panel")


def test_a_card_number_typed_in_the_widget_is_masked_everywhere_and_the_shopper_is_told(start_broker, browsers):
    # protocol/privacy.md: the banner in the shopper's language, the masked form on both
    # screens and in what the widget saves, never the number itself.
    srv = start_broker(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST))
    agent = agent_console(browsers, srv)
    set_status(agent, "available")
    shopper = browsers("shopper-privacy", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "결제 취소 문의드려요")
    css(shopper, ".sbw-prechat button[type=submit]").click()
    visible(shopper, ".sbw-composer-input")
    wait(shopper, lambda d: "박민지" in css(d, ".sbw-title").text, what="agent never joined")
    widget_send(shopper, "카드 4111 1111 1111 1111 로 결제했어요")
    banner = visible(shopper, ".sbw-banner-privacy")
    assert "카드 번호" in banner.text
    wait(shopper, lambda d: count_text(d, ".sbw-msg", "카드 **** **** **** 1111") == 1,
         what="the shopper's bubble does not show the masked form")
    assert count_text(shopper, ".sbw-msg", "4111 1111") == 0
    wait(agent, lambda d: "**** **** **** 1111" in css(d, ".messages").text, what="the agent never saw the masked form")
    assert "4111 1111" not in css(agent, ".messages").text
    saved = shopper.execute_script("return JSON.stringify(Object.assign({}, window.localStorage, window.sessionStorage))")
    assert "4111 1111" not in saved and "4111111111111111" not in saved
    shot_panel(shopper, "widget-privacy-notice")
