"""The web clients on a cluster, in a real browser (headless Chromium, as in
test_web_clients.py): three nodes on one redis-server, nginx in front
(docs/nginx-cluster.conf with the test's ports).

A shopper's widget, loaded through nginx, and an agent's console on another node hold a
conversation in Korean. Then the shopper's node is killed (SIGKILL): the widget says it
is reconnecting, comes back through nginx on another node with its session, and
nothing is lost or doubled on either side — also what the agent wrote meanwhile and
what the shopper wrote offline. And while Redis is away, the widget and the console say
they are reconnecting and send what was refused again by themselves.
"""

from __future__ import annotations

import json
import time

import pytest

from nginx_proc import Nginx, NginxError, nginx_bin
from test_cluster import cluster, get, wait_for  # noqa: F401  (cluster: the fixture)
from test_web_clients import (FAST, MINJI, agent_console, all_css, browsers, console_send, count_text, css,  # noqa: F401
                              fill_prechat, set_status, visible, wait, widget_send)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")


def customers_on(srv) -> int:
    """Customers connected to this node itself (a cluster's `connections` is the sum)."""
    stats = json.loads(get(srv, "/v1/stats")[1])
    return stats.get("node", stats)["connections"]["customer"]


def start_chat(browsers, page_url: str, agent, question: str, excerpt: str):
    """A shopper's browser on `page_url` whose widget starts a chat with `question`,
    once `agent`'s console shows it (found by `excerpt`)."""
    shopper = browsers("shopper", 1280, 860)
    shopper.get(page_url)
    visible(shopper, ".sbw-launcher").click()
    wait(shopper, lambda d: css(d, ".sbw-prechat button[type=submit]").is_enabled(), what="the widget never said hello")
    fill_prechat(shopper, question)
    css(shopper, ".sbw-prechat button[type=submit]").click()
    visible(shopper, ".sbw-composer-input")
    visible(agent, ".composer-input")
    wait(agent, lambda d: count_text(d, ".msg-customer .bubble", excerpt) == 1, what="the pre-chat question never reached the agent")
    return shopper


def test_a_shopper_whose_node_dies_resumes_through_nginx_on_another(cluster, browsers, tmp_path):
    try:
        nginx_bin()
    except NginxError as e:
        pytest.skip(str(e))
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("east", "west", "north")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    # The agent works on east; shoppers come in through nginx, which balances west and north.
    nginx = Nginx(tmp_path / "nginx", [nodes["west"].port, nodes["north"].port]).start()
    try:
        agent = agent_console(browsers, nodes["east"])
        set_status(agent, "available")
        shopper = start_chat(browsers, nginx.url("/"), agent, "주문한 이어폰이 아직 안 왔어요.", "아직 안 왔어요")
        console_send(agent, "안녕하세요, 박민지입니다. 주문 확인해 드릴게요.")
        wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "주문 확인해 드릴게요") == 1)
        widget_send(shopper, "주문번호는 2026050412345예요.")
        wait(agent, lambda d: count_text(d, ".msg-customer .bubble", "2026050412345") == 1)

        # Which node the shopper's socket is on; that node dies.
        home = wait_for(lambda: next((n for n in ("west", "north") if customers_on(nodes[n]) == 1), None), 5,
                        "the shopper's node")
        cluster.kill(home)
        banner = visible(shopper, ".sbw-banner", timeout=15)
        assert "다시 연결하는 중" in banner.text
        # Meanwhile the agent keeps writing and the shopper writes offline (or on the new node).
        console_send(agent, "출고는 오늘 오후 예정입니다.")
        widget_send(shopper, "알려주셔서 감사합니다")
        survivor = "north" if home == "west" else "west"
        wait(shopper, lambda d: d.execute_script("return SwitchboardWidget.state().connected") is True, timeout=30,
             what="the widget never came back through nginx")
        assert customers_on(nodes[survivor]) == 1
        wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "출고는 오늘 오후") == 1, timeout=15,
             what="what the agent wrote during the outage never arrived")
        wait(agent, lambda d: count_text(d, ".msg-customer .bubble", "알려주셔서 감사합니다") == 1, timeout=15,
             what="the shopper's offline message never arrived")
        wait(shopper, lambda d: not all_css(d, ".sbw-msg-pending"), what="a message stayed pending")
        # And the chat goes on from the new node.
        console_send(agent, "더 궁금하신 점 있으세요?")
        wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "더 궁금하신 점") == 1)

        # Each message exactly once on both screens (read in one go: the pages re-render).
        def once_each(d, selector, phrases):
            return all(count_text(d, selector, p) == 1 for p in phrases)
        wait(shopper, lambda d: once_each(d, ".sbw-msg-agent .sbw-bubble", ["주문 확인해 드릴게요", "출고는 오늘 오후", "더 궁금하신 점"])
             and once_each(d, ".sbw-msg-own .sbw-bubble", ["2026050412345", "알려주셔서 감사합니다"]),
             what="the widget does not hold each message exactly once")
        wait(agent, lambda d: once_each(d, ".msg-customer .bubble", ["2026050412345", "알려주셔서 감사합니다"]),
             what="the console does not hold each customer message exactly once")
        seq_script = "return Array.from(document.querySelectorAll(arguments[0])).map(function (e) { return +e.dataset.seq; })"
        seqs = shopper.execute_script(seq_script, ".sbw-messages [data-seq]")
        assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs), seqs
        agent_seqs = agent.execute_script(seq_script, ".messages [data-seq]")
        assert agent_seqs == sorted(set(agent_seqs)), agent_seqs
    finally:
        nginx.stop()


def test_while_redis_is_away_the_widget_and_console_say_reconnecting_and_send_when_it_is_back(cluster, browsers):
    """Redis outage, in the browser: a message that cannot be stored is refused with
    `unavailable` and `retry_after_ms`; the widget and the console then say they are
    reconnecting, keep the message as still sending, and send it again by themselves
    (same id) until Redis is back — then each message arrives once and the notice goes."""
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    agent = agent_console(browsers, nodes["east"])
    set_status(agent, "available")
    shopper = start_chat(browsers, nodes["west"].http_url("/"), agent, "환불은 언제 되나요?", "환불은 언제")

    cluster.redis.kill()
    widget_send(shopper, "지금 보내도 되나요?")
    banner = visible(shopper, ".sbw-banner", timeout=15)
    assert "다시 연결하는 중" in banner.text
    assert all_css(shopper, ".sbw-msg-pending"), "the message is kept as still sending"
    console_send(agent, "확인 중입니다.")
    wait(agent, lambda d: css(d, ".connection").is_displayed() and "다시 연결하는 중" in css(d, ".connection").text,
         timeout=15, what="the console never said it was reconnecting")
    time.sleep(2)
    cluster.redis.start()

    wait(agent, lambda d: count_text(d, ".msg-customer .bubble", "지금 보내도 되나요?") == 1, timeout=30,
         what="the shopper's message never went through after Redis came back")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "확인 중입니다.") == 1, timeout=30,
         what="the agent's reply never went through after Redis came back")
    wait(shopper, lambda d: not all_css(d, ".sbw-msg-pending"), timeout=15, what="a message stayed pending")
    wait(agent, lambda d: not css(d, ".connection").is_displayed(), timeout=15, what="the console still says reconnecting")
    wait(shopper, lambda d: "다시 연결하는 중" not in (css(d, ".sbw-banner").text if all_css(d, ".sbw-banner") else ""),
         timeout=15, what="the widget still says reconnecting")
    # Once each, on both screens.
    assert count_text(agent, ".msg-customer .bubble", "지금 보내도 되나요?") == 1
    assert count_text(shopper, ".sbw-msg-own .sbw-bubble", "지금 보내도 되나요?") == 1
