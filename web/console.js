/* The agent console (/console): sign in, availability, offers and assigned chats
 * with unread counts, the customer's pre-chat data and transcript (fetch_history),
 * reply with canned replies, transfer, end, a title flash and a chime on new work.
 * Speaks switchboard.v1 on /v1/ws/agent (protocol/README.md). */
(function () {
  "use strict";
  var S = window.Staff, el = S.el, clear = S.clear;
  var TEXT = {
    ko: {
      signIn: "로그인", signInTitle: "상담 콘솔", signInHint: "상담원 계정으로 로그인하세요.", login: "아이디", secret: "비밀번호",
      required: "아이디와 비밀번호를 입력하세요.", badLogin: "아이디 또는 비밀번호가 올바르지 않습니다.",
      throttled: function (s) { return "로그인 실패가 너무 많습니다. " + s + "초 후에 다시 시도하세요."; },
      replaced: "다른 창에서 로그인하여 이 창의 연결이 끊겼습니다.", reconnecting: "연결이 끊겨 다시 연결하는 중…", connecting: "연결하는 중…",
      status: { available: "상담 가능", away: "자리 비움", offline: "오프라인" }, statusLabel: "상담 상태",
      slots: function (free, cap) { return "빈 슬롯 " + free + " / " + cap; },
      offers: "상담 요청", conversations: "상담 중", leftMessages: "남긴 메시지", none: "없음",
      accept: "수락", decline: "거절", expiresIn: function (s) { return s + "초 남음"; }, waited: function (d) { return d + " 대기"; },
      empty: "진행 중인 상담이 없습니다", emptyHint: "상담 가능 상태로 바꾸면 새 상담이 자동으로 배정됩니다.",
      waitingHint: "새 상담을 기다리고 있어요. 배정되면 소리와 함께 알려 드립니다.", detailsHint: "상담을 고르면 고객 정보가 여기에 보입니다.",
      customer: "고객 정보", name: "이름", orderNumber: "주문번호", product: "상품명", queue: "문의 유형", language: "언어", firstMessage: "첫 문의",
      started: "시작", anonymous: "고객", composer: "답변을 입력하세요 (Enter 전송, Shift+Enter 줄바꿈)", send: "보내기",
      canned: "자주 쓰는 답변", transfer: "이관", transferTo: "이관할 곳", toQueue: "대기열", toAgent: "상담원", doTransfer: "이관하기",
      end: "상담 종료", endConfirm: "이 상담을 종료할까요?", close: "닫기", cancel: "취소",
      ended: "종료된 상담", transferredAway: "다른 곳으로 이관된 상담",
      joined: function (n) { return n + " 상담원 연결"; }, transferredEvent: "이관됨", endedEvent: { agent_ended: "상담원이 종료함", customer_left: "고객이 나감", customer_timed_out: "고객 연결 시간 초과", closed: "운영 시간 종료" },
      rated: function (s, c) { return "고객 평가 ★" + s + (c ? " — " + c : ""); },
      typing: "고객이 입력 중…", sent: "전송됨", delivered: "전달됨", read: "읽음", sending: "보내는 중",
      newWork: "● 새 상담", newMessage: "● 새 메시지", signOut: "로그아웃", replyTo: "회신",
      errors: { unavailable: "지금은 상담 센터에 연결할 수 없습니다. 잠시 후 다시 시도하세요.", agent_unavailable: "그 상담원은 지금 받을 수 없습니다.", topic_unattended: "그 대기열에는 근무 중인 상담원이 없습니다.",
        unknown_agent: "그런 상담원이 없습니다.", queue_full: "대기열이 가득 찼습니다.", unknown_offer: "이미 만료되었거나 철회된 요청입니다.",
        invalid_state: "지금은 할 수 없습니다.", generic: "요청을 처리하지 못했습니다." },
      customerSaid: "고객", system: "안내",
    },
    en: {
      signIn: "Sign in", signInTitle: "Agent console", signInHint: "Sign in with your agent account.", login: "Login", secret: "Secret",
      required: "Enter your login and secret.", badLogin: "The login or secret is not right.",
      throttled: function (s) { return "Too many failed sign-ins. Try again in " + s + " s."; },
      replaced: "You signed in elsewhere; this window is disconnected.", reconnecting: "Connection lost, reconnecting…", connecting: "Connecting…",
      status: { available: "Available", away: "Away", offline: "Offline" }, statusLabel: "Status",
      slots: function (free, cap) { return free + " of " + cap + " slots free"; },
      offers: "Offers", conversations: "Chats", leftMessages: "Left messages", none: "None",
      accept: "Accept", decline: "Decline", expiresIn: function (s) { return s + " s left"; }, waited: function (d) { return "waited " + d; },
      empty: "No open chats", emptyHint: "Set yourself available and new chats arrive on their own.",
      waitingHint: "Waiting for the next chat; a chime tells you when it arrives.", detailsHint: "Pick a chat to see the customer here.",
      customer: "Customer", name: "Name", orderNumber: "Order number", product: "Product", queue: "Topic", language: "Language", firstMessage: "First message",
      started: "Started", anonymous: "Customer", composer: "Type a reply (Enter sends, Shift+Enter for a new line)", send: "Send",
      canned: "Canned replies", transfer: "Transfer", transferTo: "Transfer to", toQueue: "Queue", toAgent: "Agent", doTransfer: "Transfer",
      end: "End chat", endConfirm: "End this chat?", close: "Close", cancel: "Cancel",
      ended: "Ended", transferredAway: "Transferred away",
      joined: function (n) { return n + " joined"; }, transferredEvent: "Transferred", endedEvent: { agent_ended: "Ended by the agent", customer_left: "The customer left", customer_timed_out: "The customer timed out", closed: "Closing time" },
      rated: function (s, c) { return "Rated ★" + s + (c ? " — " + c : ""); },
      typing: "The customer is typing…", sent: "Sent", delivered: "Delivered", read: "Read", sending: "Sending",
      newWork: "● New chat", newMessage: "● New message", signOut: "Sign out", replyTo: "Reply to",
      errors: { unavailable: "The contact centre cannot be reached just now. Try again shortly.", agent_unavailable: "That agent cannot take it now.", topic_unattended: "Nobody is on duty for that queue.",
        unknown_agent: "No such agent.", queue_full: "That queue is full.", unknown_offer: "That offer has expired or was withdrawn.",
        invalid_state: "Not possible now.", generic: "The request failed." },
      customerSaid: "Customer", system: "Notice",
    },
  };
  var T = TEXT[S.lang];
  var CANNED = {
    ko: ["안녕하세요, 고객님! 상담원 {name}입니다. 무엇을 도와드릴까요?", "주문번호를 확인해 보겠습니다. 잠시만 기다려 주세요.",
      "결제 완료 후 1~2영업일 안에 출고되며, 출고 후 보통 1~2일 안에 받으실 수 있어요.", "불편을 드려 죄송합니다. 바로 확인해 드리겠습니다.",
      "반품은 수령 후 7일 이내에 마이페이지 > 주문내역에서 신청하실 수 있어요.", "더 궁금하신 점이 있으신가요? 이용해 주셔서 감사합니다."],
    en: ["Hello! This is {name}. How can I help you today?", "Let me look up your order number. One moment please.",
      "Orders ship within 1–2 business days of payment and usually arrive 1–2 days later.", "I am sorry for the trouble. Let me check right away.",
      "Returns can be requested within 7 days of delivery under My page > Orders.", "Is there anything else I can help with? Thank you for contacting us."],
  };

  var app = document.getElementById("app");
  var conn = null, me = null, queues = [], skew = 0, audio = null;
  var offers = {}, convs = {}, order = [], left = [], agents = {}, selected = null, counter = 0, prefix = Math.random().toString(36).slice(2, 6);
  var connState = "connecting";
  // A reply was refused `unavailable` (this node lost Redis): "reconnecting" until one is acked.
  var storeAway = false;

  function queueName(key) { for (var i = 0; i < queues.length; i++) if (queues[i].key === key) return queues[i].name; return key; }
  function now() { return Date.now() + skew; }
  function errorText(code) { return T.errors[code] || T.errors.generic; }

  // ---- sign in ---------------------------------------------------------------------
  function showSignIn() {
    clear(app);
    document.title = T.signInTitle + " — Switchboard";
    app.appendChild(S.signInForm(T, function (login, secret, fail) {
      try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
      var first = true;
      conn = new S.Connection("agent", { login: login, secret: secret }, {
        state: function (state, welcome) {
          connState = state;
          if (state === "failed") { conn = null; if (first) fail(T.badLogin); else { showSignIn(); } return; }
          if (state === "throttled") { conn = null; if (first) fail(T.throttled(Math.ceil((welcome.retry_after_ms || 60000) / 1000))); else { showSignIn(); } return; }
          if (state === "open") {
            first = false;
            me = welcome.agent; queues = welcome.queues || []; skew = welcome.ts - Date.now();
            if (!document.querySelector(".console")) layout();
            // After a reconnect the server re-sends assigned/offer for what we still hold.
            if (!welcome.resumed) { offers = {}; }
            Object.keys(convs).forEach(function (id) { resendPending(convs[id]); });
            renderAll();
            return;
          }
          renderConnection();
        },
        message: receive,
      });
      conn.open();
    }));
  }

  // ---- server messages --------------------------------------------------------------
  function receive(msg) {
    switch (msg.type) {
      case "presence":
        agents[msg.agent.handle] = msg.agent;
        if (me && msg.agent.handle === me.handle) {
          me.status = msg.agent.status; me.chats = msg.agent.chats;
          if (!selected) renderConversation();
        }
        renderTop();
        renderTransferTargets();
        break;
      case "offer":
        offers[msg.offer] = msg;
        notify(T.newWork);
        S.announce(T.offers + ": " + (msg.customer && msg.customer.name || T.anonymous));
        renderLists();
        break;
      case "offer_withdrawn":
        delete offers[msg.offer];
        renderLists();
        break;
      case "assigned": {
        var c = convs[msg.conversation];
        if (!c) {
          c = convs[msg.conversation] = { id: msg.conversation, events: [], unread: 0, pending: [], customerDelivered: 0, customerRead: 0 };
          order.unshift(msg.conversation);
          notify(T.newWork);
        }
        c.queue = msg.queue; c.channel = msg.channel; c.customer = msg.customer || {}; c.started_at = msg.started_at;
        c.ended = false; c.away = false;
        fetchHistory(c);
        if (!selected || !convs[selected] || convs[selected].ended || convs[selected].away) selected = c.id;
        S.announce(T.conversations + ": " + (c.customer.name || T.anonymous));
        renderAll();
        break;
      }
      case "history": {
        var h = convs[msg.conversation];
        if (!h) break;
        (msg.events || []).forEach(function (e) { addEvent(h, e, true); });
        if (msg.more) fetchHistory(h);
        afterEvents(h);
        break;
      }
      case "message": case "agent_joined": case "transferred": case "conversation_ended": case "rated": {
        var e = convs[msg.conversation];
        if (!e) break;
        addEvent(e, msg, false);
        afterEvents(e);
        break;
      }
      case "typing": {
        var t = convs[msg.conversation];
        if (t && msg.from === "customer") {
          t.typing = msg.active;
          clearTimeout(t.typingTimer);
          if (msg.active) t.typingTimer = setTimeout(function () { t.typing = false; renderTyping(); }, 6000);
          renderTyping();
        }
        break;
      }
      case "receipt": {
        var r = convs[msg.conversation];
        if (r && msg.from === "customer") {
          if (msg.kind === "read") r.customerRead = Math.max(r.customerRead, msg.seq);
          r.customerDelivered = Math.max(r.customerDelivered, msg.seq);
          if (r.id === selected) renderStatuses();
        }
        break;
      }
      case "left_message":
        left.unshift(msg);
        notify(T.newMessage);
        renderLists();
        break;
      case "ack": {
        var own = findPending(msg.id);
        if (own) {
          own.conv.pending.splice(own.conv.pending.indexOf(own.item), 1);
          addEvent(own.conv, { type: "message", conversation: own.conv.id, seq: msg.seq, ts: msg.ts, from: "agent", agent_name: me.name, text: own.item.text, client_id: own.item.id }, false);
          afterEvents(own.conv);
          if (storeAway) { storeAway = false; renderConnection(); }
        }
        break;
      }
      case "error": {
        var bad = msg.id ? findPending(msg.id) : null;
        if (bad && msg.code === "unavailable" && msg.retry_after_ms) {
          // The node cannot reach Redis: "reconnecting", and the message is sent again by
          // itself (same id) after retry_after_ms until it is acked.
          storeAway = true; renderConnection();
          setTimeout(function () {
            var still = findPending(msg.id);
            if (still && conn) conn.send({ type: "send", id: msg.id, conversation: still.conv.id, text: still.item.text });
          }, msg.retry_after_ms);
        } else if (bad) { bad.item.failed = true; renderMessages(); }
        break;
      }
      default: break;
    }
  }
  function lastSeq(c) { return c.events.length ? c.events[c.events.length - 1].seq : 0; }
  // A conversation's events after the last one shown; over the server's history budget
  // (rate_limited), asked again after retry_after_ms.
  function fetchHistory(c) {
    if (!conn) return;
    conn.request({ type: "fetch_history", conversation: c.id, after_seq: lastSeq(c) }, null, function (e) {
      if (e.code === "rate_limited") setTimeout(function () { fetchHistory(c); }, e.retry_after_ms || 1000);
    });
  }
  function addEvent(c, ev, fromHistory) {
    if (typeof ev.seq !== "number" || c.events.some(function (x) { return x.seq === ev.seq; })) return;
    if (ev.type === "message" && ev.from === "agent" && ev.client_id) {
      c.pending = c.pending.filter(function (p) { return p.id !== ev.client_id; });
    }
    var i = c.events.length;
    while (i > 0 && c.events[i - 1].seq > ev.seq) i--;
    c.events.splice(i, 0, ev);
    if (ev.type === "message" && ev.from === "customer") {
      c.typing = false;
      if (!fromHistory && (c.id !== selected || document.hidden)) { c.unread += 1; notify(T.newMessage); }
    }
    if (ev.type === "conversation_ended") c.ended = true;
    // Events may come out of order (a live agent_joined before the history that holds
    // the transfer): whether the chat is still ours is read from the latest of them.
    var last = null;
    c.events.forEach(function (e) { if (e.type === "transferred" || e.type === "agent_joined") last = e; });
    c.away = !!(last && me && (last.type === "transferred" || last.agent_name !== me.name));
  }
  function afterEvents(c) {
    var maxCustomer = 0;
    c.events.forEach(function (e) { if (e.type === "message" && e.from === "customer") maxCustomer = Math.max(maxCustomer, e.seq); });
    if (!c.ended && !c.away && maxCustomer > (c.deliveredSent || 0)) {
      c.deliveredSent = maxCustomer;
      conn.send({ type: "receipt", conversation: c.id, kind: "delivered", seq: maxCustomer });
    }
    markRead(c);
    if (c.id === selected) {
      // Only the transcript changes, unless the chat just ended or left: the composer
      // (and the draft in it) stays as it is.
      if (c.renderedOpen !== (!c.ended && !c.away)) renderConversation(); else { renderMessages(); renderTyping(); }
    }
    renderLists();
  }
  function markRead(c) {
    if (c.id !== selected || document.hidden) return;
    c.unread = 0;
    var maxCustomer = 0;
    c.events.forEach(function (e) { if (e.type === "message" && e.from === "customer") maxCustomer = Math.max(maxCustomer, e.seq); });
    if (!c.ended && !c.away && maxCustomer > (c.readSent || 0)) {
      c.readSent = maxCustomer;
      conn.send({ type: "receipt", conversation: c.id, kind: "read", seq: maxCustomer });
    }
  }
  document.addEventListener("visibilitychange", function () { if (selected && convs[selected]) { markRead(convs[selected]); renderLists(); } stopFlash(); });
  window.addEventListener("focus", stopFlash);

  function findPending(id) {
    for (var k in convs) for (var i = 0; i < convs[k].pending.length; i++) if (convs[k].pending[i].id === id) return { conv: convs[k], item: convs[k].pending[i] };
    return null;
  }
  function resendPending(c) { c.pending.forEach(function (p) { p.failed = false; conn.send({ type: "send", id: p.id, conversation: c.id, text: p.text }); }); }
  function reply(c, text) {
    if (!text.trim()) return;
    counter += 1;
    var item = { id: "a-" + prefix + "-" + counter, text: text.replace(/\s+$/, "") };
    c.pending.push(item);
    conn.send({ type: "send", id: item.id, conversation: c.id, text: item.text });
    setTyping(c, false);
    renderMessages();
  }

  // ---- new work: title flash and a chime -----------------------------------------------------
  var flashTimer = null, baseTitle = "";
  function notify(label) {
    chime();
    if (!document.hidden && document.hasFocus()) return;
    if (flashTimer) return;
    baseTitle = document.title;
    var on = false;
    flashTimer = setInterval(function () { on = !on; document.title = on ? label : baseTitle; }, 900);
  }
  function stopFlash() { if (flashTimer) { clearInterval(flashTimer); flashTimer = null; document.title = baseTitle; } }
  function chime() {
    if (!audio) return;
    try {
      if (audio.state === "suspended") audio.resume();
      var t = audio.currentTime, o = audio.createOscillator(), g = audio.createGain();
      o.type = "sine"; o.frequency.setValueAtTime(880, t); o.frequency.setValueAtTime(1320, t + 0.12);
      g.gain.setValueAtTime(0.0001, t); g.gain.exponentialRampToValueAtTime(0.15, t + 0.02); g.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
      o.connect(g); g.connect(audio.destination); o.start(t); o.stop(t + 0.4);
    } catch (e) { /* no sound is fine */ }
  }

  // ---- typing -------------------------------------------------------------------------------
  function setTyping(c, active) {
    clearTimeout(c.typingIdle);
    if (active) {
      if (!c.typingActive || Date.now() - c.typingAt > 2000) { c.typingActive = true; c.typingAt = Date.now(); conn.send({ type: "typing", conversation: c.id, active: true }); }
      c.typingIdle = setTimeout(function () { setTyping(c, false); }, 5000);
    } else if (c.typingActive) {
      c.typingActive = false; conn.send({ type: "typing", conversation: c.id, active: false });
    }
  }

  // ---- layout ---------------------------------------------------------------------------------
  var top, lists, main, details;
  function layout() {
    clear(app);
    document.title = T.signInTitle + " — Switchboard";
    top = el("header", { class: "topbar" });
    lists = el("nav", { class: "sidebar", "aria-label": T.conversations });
    main = el("section", { class: "conversation", "aria-label": T.conversations });
    details = el("aside", { class: "details", "aria-label": T.customer });
    app.appendChild(el("div", { class: "console" }, [top, el("div", { class: "console-body" }, [lists, main, details])]));
  }
  function renderAll() { renderTop(); renderLists(); renderConversation(); }
  function renderConnection() {
    var node = document.querySelector(".connection");
    var away = connState !== "open" || storeAway;
    if (node) {
      node.textContent = !away ? "" : connState === "replaced" ? T.replaced : T.reconnecting;
      node.hidden = !away;
    }
    document.body.classList.toggle("is-reconnecting", connState === "reconnecting" || storeAway);
    if (connState === "replaced" && !document.querySelector(".console")) showSignIn();
  }
  function activeCount() { return order.filter(function (id) { return !convs[id].ended && !convs[id].away; }).length; }
  function renderTop() {
    if (!top || !me) return;
    clear(top);
    var cap = (me.capacity && me.capacity.chat) || 0;
    var held = typeof me.chats === "number" ? me.chats : activeCount();
    var seg = el("div", { class: "segmented", role: "radiogroup", "aria-label": T.statusLabel });
    ["available", "away", "offline"].forEach(function (s) {
      seg.appendChild(el("button", { type: "button", role: "radio", "aria-checked": String(me.status === s), class: "seg seg-" + s + (me.status === s ? " is-on" : ""),
        "data-status": s, text: T.status[s], onclick: function () { conn.request({ type: "set_status", status: s }); } }));
    });
    top.appendChild(el("div", { class: "brand" }, [el("span", { class: "brand-mark", "aria-hidden": "true" }), T.signInTitle]));
    top.appendChild(seg);
    top.appendChild(el("span", { class: "slots", "data-free": String(Math.max(0, cap - held)), text: T.slots(Math.max(0, cap - held), cap) }));
    top.appendChild(el("span", { class: "connection", role: "status", hidden: connState === "open" && !storeAway,
      text: connState === "open" && !storeAway ? "" : T.reconnecting }));
    top.appendChild(el("div", { class: "me" }, [el("span", { class: "avatar", "aria-hidden": "true", text: me.name.slice(0, 1) }),
      el("span", { text: me.name }), el("button", { type: "button", class: "button ghost", text: T.signOut, onclick: function () { conn.close(); location.reload(); } })]));
  }
  function renderLists() {
    if (!lists) return;
    // Rebuilt on every change: keep the keyboard focus on the same button.
    var focusKey = lists.contains(document.activeElement) ? document.activeElement.getAttribute("data-focus-key") : null;
    clear(lists);
    var offerIds = Object.keys(offers);
    var offerList = el("ul", { class: "list offers" });
    offerIds.forEach(function (id) {
      var o = offers[id];
      var secs = Math.max(0, Math.round((o.expires_at - now()) / 1000));
      offerList.appendChild(el("li", { class: "card offer", "data-offer": id }, [
        el("div", { class: "card-title" }, [el("b", { text: (o.customer && o.customer.name) || T.anonymous }), el("span", { class: "chip", text: queueName(o.queue) })]),
        o.customer && o.customer.first_message ? el("p", { class: "card-text", text: o.customer.first_message }) : null,
        el("p", { class: "card-meta" }, [el("span", { class: "countdown", text: T.expiresIn(secs) }),
          o.waited_ms ? " · " + T.waited(S.formatDuration(o.waited_ms, S.lang)) : null]),
        el("div", { class: "card-actions" }, [
          el("button", { type: "button", class: "button primary accept", "data-focus-key": "accept:" + id, text: T.accept, onclick: function () {
            conn.request({ type: "accept", offer: id }, null, function (err) { delete offers[id]; renderLists(); S.announce(errorText(err.code)); }); } }),
          el("button", { type: "button", class: "button ghost decline", "data-focus-key": "decline:" + id, text: T.decline, onclick: function () { conn.request({ type: "decline", offer: id }); } }),
        ]),
      ]));
    });
    lists.appendChild(section(T.offers, offerIds.length, offerIds.length ? offerList : null));
    var convList = el("ul", { class: "list convs" });
    order.forEach(function (id) {
      var c = convs[id];
      var last = null;
      for (var i = c.events.length - 1; i >= 0; i--) if (c.events[i].type === "message") { last = c.events[i]; break; }
      convList.appendChild(el("li", {}, [el("button", { type: "button", "data-focus-key": "conv:" + id, class: "conv-item" + (id === selected ? " is-selected" : "") + (c.ended || c.away ? " is-ended" : ""),
        "data-conversation": id, "aria-current": id === selected ? "true" : null, onclick: function () { select(id); } }, [
        el("span", { class: "avatar small", "aria-hidden": "true", text: ((c.customer && c.customer.name) || T.anonymous).slice(0, 1) }),
        el("span", { class: "conv-text" }, [
          el("span", { class: "conv-name" }, [(c.customer && c.customer.name) || T.anonymous, el("span", { class: "chip", text: queueName(c.queue) })]),
          el("span", { class: "conv-last", text: c.ended ? T.ended : c.away ? T.transferredAway : last ? last.text : "" }),
        ]),
        c.unread ? el("span", { class: "unread", "aria-label": c.unread + " unread", text: String(c.unread) }) : null,
      ])]));
    });
    lists.appendChild(section(T.conversations, activeCount(), order.length ? convList : null));
    var leftList = el("ul", { class: "list left" });
    left.forEach(function (m) {
      leftList.appendChild(el("li", { class: "card" }, [
        el("div", { class: "card-title" }, [el("b", { text: (m.customer && m.customer.name) || T.anonymous }), el("span", { class: "chip", text: queueName(m.queue) })]),
        el("p", { class: "card-text", text: m.text }),
        el("p", { class: "card-meta", text: S.timeOf(m.left_at) + (m.reply_to ? " · " + T.replyTo + ": " + m.reply_to : "") }),
      ]));
    });
    lists.appendChild(section(T.leftMessages, left.length, left.length ? leftList : null));
    if (focusKey) { var again = lists.querySelector('[data-focus-key="' + focusKey + '"]'); if (again) again.focus(); }
    var unreadTotal = order.reduce(function (n, id) { return n + convs[id].unread; }, 0) + offerIds.length;
    if (!flashTimer) document.title = (unreadTotal ? "(" + unreadTotal + ") " : "") + T.signInTitle + " — Switchboard";
  }
  function section(title, count, content) {
    return el("section", { class: "side-section" }, [
      el("h2", {}, [title, el("span", { class: "count", text: String(count) })]),
      content || el("p", { class: "muted small", text: T.none }),
    ]);
  }
  // The offers' countdowns tick in place (rebuilding the list would move buttons under the pointer).
  setInterval(function () {
    if (!lists) return;
    var cards = lists.querySelectorAll(".card.offer[data-offer]");
    for (var i = 0; i < cards.length; i++) {
      var o = offers[cards[i].getAttribute("data-offer")];
      if (o) cards[i].querySelector(".countdown").textContent = T.expiresIn(Math.max(0, Math.round((o.expires_at - now()) / 1000)));
    }
  }, 1000);

  function select(id) {
    selected = id;
    stopFlash();
    markRead(convs[id]);
    renderLists();
    renderConversation();
    var input = main.querySelector("textarea");
    if (input) input.focus();
  }

  var messagesNode = null, typingNode = null;
  function renderConversation() {
    if (!main) return;
    var hadFocus = document.activeElement && document.activeElement.classList.contains("composer-input");
    clear(main); clear(details);
    var c = selected && convs[selected];
    if (!c) {
      main.appendChild(el("div", { class: "empty" }, [el("div", { class: "empty-art", "aria-hidden": "true" }), el("h2", { text: T.empty }),
        el("p", { class: "muted", text: me && me.status === "available" ? T.waitingHint : T.emptyHint })]));
      details.appendChild(el("h2", { text: T.customer }));
      details.appendChild(el("p", { class: "muted small", text: T.detailsHint }));
      return;
    }
    var name = (c.customer && c.customer.name) || T.anonymous;
    c.renderedOpen = !c.ended && !c.away;
    var actions = el("div", { class: "conv-actions" });
    if (!c.ended && !c.away) {
      actions.appendChild(el("button", { type: "button", class: "button ghost transfer-open", text: T.transfer, onclick: function () { toggleTransfer(c); } }));
      actions.appendChild(el("button", { type: "button", class: "button danger end-chat", text: T.end, onclick: function () { confirmEnd(c); } }));
    } else {
      actions.appendChild(el("button", { type: "button", class: "button ghost close-chat", text: T.close, onclick: function () {
        delete convs[c.id]; order = order.filter(function (x) { return x !== c.id; }); selected = order.filter(function (x) { return !convs[x].ended && !convs[x].away; })[0] || null; renderAll();
      } }));
    }
    main.appendChild(el("header", { class: "conv-header" }, [
      el("span", { class: "avatar", "aria-hidden": "true", text: name.slice(0, 1) }),
      el("div", { class: "conv-title" }, [el("h2", { text: name }), el("p", { class: "muted small", text: queueName(c.queue) + " · " + c.id + (c.ended ? " · " + T.ended : "") })]),
      actions,
    ]));
    main.appendChild(el("div", { class: "transfer-box", hidden: true }));
    messagesNode = el("div", { class: "messages", role: "log", "aria-live": "polite", tabindex: "0" });
    main.appendChild(messagesNode);
    typingNode = el("div", { class: "typing", hidden: !c.typing }, [el("span", { class: "dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]), T.typing]);
    main.appendChild(typingNode);
    if (!c.ended && !c.away) {
      var canned = el("div", { class: "canned", role: "group", "aria-label": T.canned });
      var input = el("textarea", { class: "composer-input", rows: "2", placeholder: T.composer, "aria-label": T.composer, maxlength: "4000" });
      (me.canned_replies || CANNED[S.lang]).forEach(function (text) {
        var filled = text.replace("{name}", me.name);
        canned.appendChild(el("button", { type: "button", class: "chip-button", title: filled, text: filled.length > 22 ? filled.slice(0, 21) + "…" : filled, onclick: function () {
          input.value = input.value ? input.value + " " + filled : filled; c.draft = input.value; input.focus(); setTyping(c, true);
        } }));
      });
      var form = el("form", { class: "composer" }, [input, el("button", { type: "submit", class: "button primary send", text: T.send })]);
      form.addEventListener("submit", function (e) { e.preventDefault(); reply(c, input.value); input.value = ""; c.draft = ""; input.focus(); });
      input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); } });
      input.addEventListener("input", function () { c.draft = input.value; setTyping(c, input.value.length > 0); });
      input.value = c.draft || "";
      main.appendChild(canned);
      main.appendChild(form);
      if (hadFocus) input.focus();
    }
    renderMessages();
    var cu = c.customer || {};
    var dl = el("dl", { class: "facts" });
    [[T.name, cu.name], [T.orderNumber, cu.order_number], [T.product, cu.product], [T.queue, queueName(c.queue)],
     [T.language, cu.language === "en" ? "English" : "한국어"], [T.started, c.started_at ? S.timeOf(c.started_at) : null], [T.firstMessage, cu.first_message]].forEach(function (row) {
      if (!row[1]) return;
      dl.appendChild(el("dt", { text: row[0] })); dl.appendChild(el("dd", { text: row[1] }));
    });
    details.appendChild(el("h2", { text: T.customer }));
    details.appendChild(dl);
  }
  function renderTyping() { var c = convs[selected]; if (typingNode && c) typingNode.hidden = !c.typing; }
  function renderMessages() {
    var c = convs[selected];
    if (!c || !messagesNode) return;
    clear(messagesNode);
    c.events.forEach(function (e) {
      if (e.type === "message") {
        var mine = e.from === "agent" && (!me || e.agent_name === me.name);
        var node = el("div", { class: "msg " + (e.from === "customer" ? "msg-customer" : mine ? "msg-own" : "msg-other"), "data-seq": String(e.seq) }, [
          el("span", { class: "msg-author", text: e.from === "customer" ? ((c.customer && c.customer.name) || T.customerSaid) : e.from === "agent" ? e.agent_name : T.system }),
          el("div", { class: "bubble", text: e.text }),
          el("span", { class: "msg-meta" }, [S.timeOf(e.ts), e.from === "agent" ? el("span", { class: "msg-status", "data-state": status(c, e.seq) , text: " · " + T[status(c, e.seq)] }) : null]),
        ]);
        messagesNode.appendChild(node);
      } else {
        var text = e.type === "agent_joined" ? T.joined(e.agent_name) : e.type === "transferred" ? T.transferredEvent + (e.to_queue ? " → " + queueName(e.to_queue) : e.to_agent_name ? " → " + e.to_agent_name : "")
          : e.type === "conversation_ended" ? (T.endedEvent[e.reason] || e.reason) : e.type === "rated" ? T.rated(e.score, e.comment) : e.type;
        messagesNode.appendChild(el("div", { class: "event", "data-seq": String(e.seq), text: text }));
      }
    });
    c.pending.forEach(function (p) {
      messagesNode.appendChild(el("div", { class: "msg msg-own msg-pending" + (p.failed ? " msg-failed" : "") }, [el("div", { class: "bubble", text: p.text }), el("span", { class: "msg-meta", text: T.sending })]));
    });
    messagesNode.scrollTop = messagesNode.scrollHeight;
  }
  function status(c, seq) { return c.customerRead >= seq ? "read" : c.customerDelivered >= seq ? "delivered" : "sent"; }
  function renderStatuses() { renderMessages(); }

  function transferForm(c) {
    var kind = el("select", { class: "input", "aria-label": T.transferTo }, [el("option", { value: "queue", text: T.toQueue }), el("option", { value: "agent", text: T.toAgent })]);
    var target = el("select", { class: "input target", "aria-label": T.transferTo });
    function fill() {
      clear(target);
      if (kind.value === "queue") queues.forEach(function (q) { target.appendChild(el("option", { value: q.key, text: q.name })); });
      else Object.keys(agents).forEach(function (h) {
        var a = agents[h];
        if (h !== me.handle) target.appendChild(el("option", { value: h, text: a.name + " (" + T.status[a.status] + ", " + a.chats + "/" + a.capacity.chat + ")" }));
      });
    }
    kind.addEventListener("change", fill); fill();
    var error = el("p", { class: "form-error", role: "alert", hidden: true });
    var form = el("form", { class: "transfer-form" }, [el("b", { text: T.transferTo }), kind, target,
      el("button", { type: "submit", class: "button primary", text: T.doTransfer }),
      el("button", { type: "button", class: "button ghost", text: T.cancel, onclick: function () { form.parentNode.hidden = true; } }), error]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!target.value) return;
      var msg = { type: "transfer", conversation: c.id };
      msg[kind.value] = target.value;
      conn.request(msg, function () { form.parentNode.hidden = true; }, function (err) { error.textContent = errorText(err.code); error.hidden = false; });
    });
    return form;
  }
  function toggleTransfer(c) {
    var box = main.querySelector(".transfer-box");
    box.hidden = !box.hidden;
    clear(box);
    if (!box.hidden) { box.appendChild(transferForm(c)); box.querySelector("select").focus(); }
  }
  function renderTransferTargets() {
    var box = main && main.querySelector(".transfer-box");
    if (box && !box.hidden && convs[selected]) { clear(box); box.appendChild(transferForm(convs[selected])); }
  }
  function confirmEnd(c) {
    var box = main.querySelector(".transfer-box");
    box.hidden = false; clear(box);
    box.appendChild(el("div", { class: "confirm", role: "alertdialog", "aria-label": T.endConfirm }, [el("b", { text: T.endConfirm }),
      el("button", { type: "button", class: "button danger confirm-end", text: T.end, onclick: function () { box.hidden = true; conn.request({ type: "end", conversation: c.id }); } }),
      el("button", { type: "button", class: "button ghost", text: T.cancel, onclick: function () { box.hidden = true; } })]));
    box.querySelector(".confirm-end").focus();
  }

  showSignIn();
})();
