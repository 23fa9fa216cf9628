/* Switchboard chat widget: embed on any page with
 *   <script src="https://BROKER/widget.js" data-server="https://BROKER"
 *           data-locale="ko" data-topics="orders,returns,products,other" defer></script>
 * Plain JavaScript, no build step, no dependencies. Speaks switchboard.v1
 * (protocol/README.md) on /v1/ws/customer. Korean by default, English with
 * data-locale="en". State that must survive a dropped connection or a reload of the
 * page (the session token, the last seq held, the transcript so far and messages not
 * yet acknowledged) lives in sessionStorage, so a resume loses and doubles nothing.
 */
(function () {
  "use strict";
  if (window.SwitchboardWidget) return;

  var script = document.currentScript;
  var scriptURL = new URL(script && script.src ? script.src : "/widget.js", location.href);
  var server = new URL((script && script.getAttribute("data-server")) || scriptURL.origin, location.href);
  var locale = ((script && script.getAttribute("data-locale")) || document.documentElement.lang || "ko").slice(0, 2) === "en" ? "en" : "ko";
  var topicFilter = ((script && script.getAttribute("data-topics")) || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  var storeKey = "switchboard:" + server.host;

  var TEXT = {
    ko: {
      launcher: "상담 채팅 열기", close: "채팅 창 닫기", title: "고객센터 채팅", subtitle: "보통 몇 분 안에 답변드려요",
      greeting: "안녕하세요! 무엇을 도와드릴까요? 빠른 상담을 위해 주문번호와 상품명을 미리 알려 주세요.",
      topic: "문의 유형", name: "이름", orderNumber: "주문번호", product: "상품명", question: "문의 내용",
      optional: "선택", questionPlaceholder: "예: 주문한 상품이 언제 도착하나요?", start: "상담 시작하기",
      connecting: "연결하는 중…", reconnecting: "연결이 끊겼어요. 다시 연결하는 중…", reconnected: "다시 연결되었어요.",
      offline: "인터넷 연결을 확인해 주세요.", replaced: "다른 창에서 상담이 열렸어요. 이 창은 더 이상 사용되지 않아요.",
      faqTitle: "이런 답변을 찾으셨나요?", faqSolved: "해결됐어요", faqAgent: "상담원 연결할게요",
      faqThanks: "도움이 되었다니 다행이에요. 더 궁금한 점이 있으면 언제든 문의해 주세요.",
      queued: "상담원 연결을 기다리고 있어요", place: function (n) { return "대기 순서 " + n + "번째"; },
      next: "곧 연결됩니다", wait: function (m) { return "예상 대기 시간 약 " + m; }, waitNone: "예상 대기 시간을 계산하고 있어요",
      minutes: function (n) { return n < 1 ? "1분 미만" : n + "분"; }, cancel: "대기 취소",
      agentJoined: function (n) { return n + " 상담원이 연결되었어요."; }, agentTitle: function (n) { return n + " 상담원"; },
      transferred: "다른 상담원에게 연결하고 있어요. 잠시만 기다려 주세요.",
      typing: function (n) { return n + " 상담원이 입력 중…"; },
      composer: "메시지를 입력하세요", send: "보내기", endChat: "상담 종료", endConfirm: "상담을 종료할까요?",
      yes: "종료하기", no: "계속하기",
      sending: "보내는 중", sent: "전송됨", delivered: "전달됨", read: "읽음", failed: "전송 실패 · 다시 보내기",
      ended: { agent_ended: "상담원이 상담을 종료했어요.", customer_left: "상담이 종료되었어요.",
        customer_timed_out: "연결이 오래 끊겨 상담이 종료되었어요.", closed: "운영 시간이 끝나 상담이 종료되었어요." },
      rateTitle: "상담은 만족스러우셨나요?", rateHint: "별점을 선택해 주세요", comment: "의견 (선택)",
      commentPlaceholder: "더 나은 상담을 위해 의견을 남겨 주세요", submitRating: "평가 보내기",
      rated: "소중한 의견 감사합니다!", stars: function (n) { return "별 " + n + "개"; },
      download: "상담 내역 저장", newChat: "새 상담 시작",
      leaveTitle: "지금은 상담원과 채팅할 수 없어요",
      leaveClosed: function (t) { return "지금은 운영 시간이 아니에요." + (t ? " 다음 운영 시작: " + t + "." : "") + " 메시지를 남겨 주시면 확인 후 연락드릴게요."; },
      leaveUnattended: "지금은 상담 가능한 상담원이 없어요. 메시지를 남겨 주시면 확인 후 연락드릴게요.",
      leaveText: "남기실 메시지", replyTo: "답변 받을 이메일 또는 연락처", leaveSend: "메시지 남기기",
      stored: "메시지가 접수되었어요. 확인 후 남겨 주신 연락처로 답변드릴게요.",
      you: "나", agent: "상담원", system: "안내",
      errors: { unavailable: "상담 센터에 잠시 연결할 수 없어요. 잠시 후 다시 시도해 주세요.", queue_full: "지금은 대기 인원이 많아요. 잠시 후 다시 시도해 주세요.", rate_limited: "메시지를 너무 빨리 보내고 있어요. 잠시 후 다시 시도해 주세요.",
        message_too_long: "메시지가 너무 길어요.", text_too_long: "메시지가 너무 길어요.", comment_too_long: "의견이 너무 길어요.",
        mailbox_full: "지금은 메시지를 받을 수 없어요. 잠시 후 다시 시도해 주세요.", empty_message: "내용을 입력해 주세요.",
        unknown_queue: "선택한 문의 유형을 찾을 수 없어요.", offline: "연결이 끊겨 있어요. 다시 연결되면 시도해 주세요.", invalid_field: "입력한 내용을 확인해 주세요.", generic: "요청을 처리하지 못했어요. 다시 시도해 주세요." },
      required: "필수 항목을 입력해 주세요.", transcriptTitle: "상담 내역", poweredBy: "Switchboard",
      sessionExpired: "연결이 오래 끊겨 이전 상담이 종료되었어요. 새로 문의해 주세요.",
    },
    en: {
      launcher: "Open chat", close: "Close chat", title: "Customer support", subtitle: "We usually reply within minutes",
      greeting: "Hi! How can we help? Having your order number and product name ready makes it quicker.",
      topic: "Topic", name: "Name", orderNumber: "Order number", product: "Product", question: "Your question",
      optional: "optional", questionPlaceholder: "e.g. When will my order arrive?", start: "Start chat",
      connecting: "Connecting…", reconnecting: "Connection lost. Reconnecting…", reconnected: "Reconnected.",
      offline: "Please check your internet connection.", replaced: "This chat was opened in another window; this one is no longer used.",
      faqTitle: "Does this answer your question?", faqSolved: "That solved it", faqAgent: "I need an agent",
      faqThanks: "Glad that helped. Come back any time.",
      queued: "Waiting for an agent", place: function (n) { return "You are number " + n + " in line"; },
      next: "You are next", wait: function (m) { return "Estimated wait about " + m; }, waitNone: "Estimating your wait",
      minutes: function (n) { return n < 1 ? "under a minute" : n === 1 ? "1 minute" : n + " minutes"; }, cancel: "Leave the line",
      agentJoined: function (n) { return n + " joined the chat."; }, agentTitle: function (n) { return n; },
      transferred: "Connecting you to another agent. One moment please.",
      typing: function (n) { return n + " is typing…"; },
      composer: "Type a message", send: "Send", endChat: "End chat", endConfirm: "End this chat?",
      yes: "End chat", no: "Keep chatting",
      sending: "Sending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent · retry",
      ended: { agent_ended: "The agent ended the chat.", customer_left: "The chat has ended.",
        customer_timed_out: "The chat ended after the connection was lost for too long.", closed: "The chat ended at closing time." },
      rateTitle: "How was your chat?", rateHint: "Choose a rating", comment: "Comment (optional)",
      commentPlaceholder: "Tell us what we could do better", submitRating: "Send rating",
      rated: "Thank you for your feedback!", stars: function (n) { return n + (n === 1 ? " star" : " stars"); },
      download: "Save transcript", newChat: "Start a new chat",
      leaveTitle: "No agent can chat right now",
      leaveClosed: function (t) { return "We are closed now." + (t ? " We open " + t + "." : "") + " Leave a message and we will get back to you."; },
      leaveUnattended: "No agent is on duty right now. Leave a message and we will get back to you.",
      leaveText: "Your message", replyTo: "E-mail or phone for our reply", leaveSend: "Leave message",
      stored: "Your message was received. We will reply to the contact you gave.",
      you: "You", agent: "Agent", system: "Notice",
      errors: { unavailable: "The contact centre cannot be reached just now. Please try again shortly.", queue_full: "The line is full right now. Please try again shortly.", rate_limited: "You are sending too fast. Please wait a moment.",
        message_too_long: "That message is too long.", text_too_long: "That message is too long.", comment_too_long: "That comment is too long.",
        mailbox_full: "We cannot take messages right now. Please try again later.", empty_message: "Please write something first.",
        unknown_queue: "That topic is not available.", offline: "You are offline; try again once reconnected.", invalid_field: "Please check what you entered.", generic: "Something went wrong. Please try again." },
      required: "Please fill in the required fields.", transcriptTitle: "Chat transcript", poweredBy: "Switchboard",
      sessionExpired: "You were away too long and the earlier chat has ended. Please start a new one.",
    },
  };
  var T = TEXT[locale];

  // ---- persistent state (sessionStorage) -------------------------------------
  var saved = {};
  try { saved = JSON.parse(sessionStorage.getItem(storeKey) || "{}") || {}; } catch (e) { saved = {}; }
  var state = {
    session: saved.session || null,
    conversation: saved.conversation || null,
    events: saved.events || [],          // conversation events held, by seq
    outbox: saved.outbox || [],          // own messages sent but not yet acknowledged
    view: saved.view || "prechat",
    open: !!saved.open,
    form: saved.form || null,
    faq: saved.faq || null,
    leave: saved.leave || null,
    rated: !!saved.rated,
    agentName: saved.agentName || null,
    nextId: saved.nextId || 1,
    idPrefix: saved.idPrefix || Math.random().toString(36).slice(2, 8),
  };
  var queues = [];
  var place = null, estimate = null;
  var agentDelivered = 0, agentRead = 0, readSent = 0, deliveredSent = 0;

  function persist() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify({
        session: state.session, conversation: state.conversation, events: state.events.slice(-500),
        outbox: state.outbox, view: state.view, open: state.open, form: state.form, faq: state.faq,
        leave: state.leave, rated: state.rated, agentName: state.agentName, nextId: state.nextId, idPrefix: state.idPrefix,
        lastSeq: lastSeq(),
      }));
    } catch (e) { /* private mode: the widget still works, without resume across reloads */ }
  }
  function lastSeq() { return state.events.length ? state.events[state.events.length - 1].seq : 0; }

  // ---- DOM helpers -------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function timeOf(ts) { return new Date(ts).toLocaleTimeString(locale === "ko" ? "ko-KR" : "en-US", { hour: "numeric", minute: "2-digit" }); }

  var css = el("link", { rel: "stylesheet", href: new URL("widget.css", scriptURL).href });
  document.head.appendChild(css);

  var root = el("div", { class: "sbw", lang: locale });
  var launcher = el("button", { class: "sbw-launcher", type: "button", "aria-label": T.launcher, "aria-expanded": "false", "aria-controls": "sbw-panel" }, [
    el("span", { class: "sbw-launcher-icon", "aria-hidden": "true" }), el("span", { class: "sbw-badge", hidden: true, "aria-hidden": "true" }),
  ]);
  var statusLine = el("p", { class: "sbw-subtitle", text: T.subtitle });
  var headerTitle = el("h2", { class: "sbw-title", id: "sbw-title", text: T.title });
  var avatar = el("span", { class: "sbw-avatar", "aria-hidden": "true" });
  var closeButton = el("button", { class: "sbw-icon-button sbw-close", type: "button", "aria-label": T.close, onclick: function () { setOpen(false); } });
  var banner = el("div", { class: "sbw-banner", role: "status", hidden: true });
  var body = el("div", { class: "sbw-body" });
  var announcer = el("div", { class: "sbw-sr", "aria-live": "polite", role: "status" });
  var panel = el("section", { class: "sbw-panel", id: "sbw-panel", role: "dialog", "aria-labelledby": "sbw-title", hidden: true }, [
    el("header", { class: "sbw-header" }, [avatar, el("div", { class: "sbw-heading" }, [headerTitle, statusLine]), closeButton]),
    banner, body, announcer,
    el("footer", { class: "sbw-powered", text: "⚡ " + T.poweredBy }),
  ]);
  root.appendChild(panel);
  root.appendChild(launcher);
  function mount() { document.body.appendChild(root); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  launcher.addEventListener("click", function () { setOpen(!state.open); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { setOpen(false); launcher.focus(); } });

  function announce(text) {
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 30);
  }
  var unread = 0;
  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    root.classList.toggle("sbw-is-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    persist();
    if (open) {
      unread = 0; showBadge();
      connect();
      render();
      var focusable = body.querySelector("textarea, input, select, button");
      if (focusable) setTimeout(function () { focusable.focus(); }, 50);
      sendReadReceipt();
    }
  }
  function showBadge() {
    var badge = launcher.querySelector(".sbw-badge");
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
  }

  // ---- connection ----------------------------------------------------------------
  var ws = null, connected = false, welcomed = false, attempts = 0, retryTimer = null, stopped = false, holdUntil = 0;
  var sessionExpired = false;   // the server no longer knew our session (shown once welcomed again)
  var pending = {};   // request id -> what to do with its ack / error
  var requestCounter = 0;

  function wsURL() {
    var u = new URL("/v1/ws/customer", server);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.href;
  }
  function connect() {
    if (ws || stopped) return;
    clearTimeout(retryTimer);
    if (attempts > 0) setBanner(T.reconnecting, "warn"); else if (!state.session) setBanner(T.connecting, "info");
    var socket;
    try { socket = new WebSocket(wsURL(), "switchboard.v1"); } catch (e) { scheduleReconnect(); return; }
    ws = socket;
    socket.onopen = function () {
      connected = true;
      var hello = { type: "hello", language: locale };
      if (state.session) { hello.session = state.session; if (state.conversation) hello.last_seq = lastSeq(); }
      send(hello);
    };
    socket.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg && typeof msg.type === "string") receive(msg);
    };
    socket.onclose = function (ev) {
      if (ws !== socket) return;
      ws = null; connected = false; welcomed = false;
      pending = {};
      if (ev.code === 4009) { stopped = true; setBanner(T.replaced, "error"); return; }
      // 4008: rate limited (wait out the minute); 4013: a cluster node could not look the session up.
      scheduleReconnect(ev.code === 4008 ? 10000 : ev.code === 4013 ? 1000 : 0);
    };
    socket.onerror = function () { /* onclose follows */ };
  }
  function scheduleReconnect(minimum) {
    attempts += 1;
    setBanner(navigator.onLine === false ? T.offline : T.reconnecting, "warn");
    renderComposerState();
    var delay = Math.max(minimum || 0, holdUntil - Date.now(), Math.min(10000, 300 * Math.pow(2, attempts - 1)) * (0.8 + Math.random() * 0.4));
    retryTimer = setTimeout(connect, delay);
  }
  window.addEventListener("online", function () { if (!ws && !stopped) { attempts = Math.max(attempts, 1); connect(); } });
  function send(message) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(message));
    return true;
  }
  // The next page of history; over the server's history budget, again after retry_after_ms.
  function fetchMoreHistory() {
    request({ type: "fetch_history", after_seq: lastSeq() }, null, function (e) {
      if (e.code === "rate_limited") setTimeout(fetchMoreHistory, e.retry_after_ms || 1000);
    });
  }
  function request(message, onAck, onError) {
    requestCounter += 1;
    message.id = "r" + requestCounter + "-" + state.idPrefix;
    pending[message.id] = { ack: onAck, error: onError };
    if (send(message)) return true;
    // Not connected: the request was not made; say so rather than wait forever.
    delete pending[message.id];
    if (onError) setTimeout(function () { onError({ code: "offline" }); }, 0);
    return false;
  }

  var bannerTimer = null;
  // A message was refused `unavailable` (a cluster node lost Redis): "reconnecting" until one is acked.
  var storeAway = false;
  function setBanner(text, kind) {
    clearTimeout(bannerTimer);
    banner.hidden = !text;
    banner.textContent = text || "";
    banner.className = "sbw-banner" + (kind ? " sbw-banner-" + kind : "");
    root.classList.toggle("sbw-is-reconnecting", kind === "warn");
  }

  // ---- server messages ---------------------------------------------------------------
  function receive(msg) {
    switch (msg.type) {
      case "welcome":
        welcomed = true;
        var wasReconnect = attempts > 0;
        attempts = 0;
        state.session = msg.session || state.session;
        queues = (msg.queues || []).filter(function (q) { return !topicFilter.length || topicFilter.indexOf(q.key) >= 0; });
        if (topicFilter.length) queues.sort(function (a, b) { return topicFilter.indexOf(a.key) - topicFilter.indexOf(b.key); });
        if (sessionExpired) {
          sessionExpired = false;
          setBanner(T.sessionExpired, "info");
          announce(T.sessionExpired);
          bannerTimer = setTimeout(function () { setBanner(""); }, 10000);
        } else {
          setBanner(wasReconnect ? T.reconnected : "", wasReconnect ? "ok" : "");
          if (wasReconnect) bannerTimer = setTimeout(function () { setBanner(""); }, 2500);
        }
        // Messages whose ack was lost go again with the same id: the server answers a
        // duplicate with the original seq instead of recording it twice.
        state.outbox.forEach(function (m) { m.failed = false; sendChat(m); });
        persist();
        render();
        break;
      case "ack": {
        var p = pending[msg.id]; delete pending[msg.id];
        var own = findOutbox(msg.id);
        if (own) acknowledge(own, msg);
        else if (p && p.ack) p.ack(msg);
        if (own && storeAway) {
          // The store (a cluster's Redis) is back: the message that waited went through.
          storeAway = false;
          setBanner(T.reconnected, "ok");
          bannerTimer = setTimeout(function () { setBanner(""); }, 2500);
        }
        break;
      }
      case "error": {
        if (msg.code === "unknown_session") {
          // The session expired (or the server restarted): start afresh on this connection.
          var hadConversation = !!state.conversation;
          state.session = null; state.conversation = null; state.events = []; state.outbox = [];
          state.faq = null; state.leave = null; state.rated = false; state.agentName = null;
          if (state.view !== "prechat" && state.view !== "stored") state.view = "prechat";
          persist();
          sessionExpired = hadConversation;
          send({ type: "hello", language: locale });
          render();
          break;
        }
        var q = msg.id ? pending[msg.id] : null; if (msg.id) delete pending[msg.id];
        var mine = msg.id ? findOutbox(msg.id) : null;
        if (mine) {
          // Refused for now — the store is behind (rate_limited) or a cluster node cannot
          // reach Redis (unavailable): sent again by itself after retry_after_ms, with the
          // same id, and shown as still sending; any other refusal waits for the person.
          var again = (msg.code === "rate_limited" || msg.code === "unavailable") && msg.retry_after_ms;
          mine.failed = !again;
          if (again) setTimeout(function () { if (!mine.acked) { mine.failed = false; sendChat(mine); } }, msg.retry_after_ms);
          if (msg.code === "unavailable") { storeAway = true; setBanner(T.reconnecting, "warn"); }
          persist(); renderMessages();
        } else if (q && q.error) q.error(msg);
        else if (msg.fatal) setBanner(errorText(msg.code), "error");
        break;
      }
      case "faq_suggestions":
        state.faq = msg.suggestions || []; state.view = "faq"; persist(); render(); announce(T.faqTitle);
        break;
      case "queued":
      case "place_in_line": {
        var before = place;
        place = msg.place; estimate = msg.estimated_wait_ms === undefined ? null : msg.estimated_wait_ms;
        if (state.view === "chat") {
          statusLine.textContent = queueText();   // transferred back to a line: the chat stays on screen
        } else if (state.view === "queue") {
          updateQueueTexts();
          if (before !== place) announce(queueText());
        } else {
          state.view = "queue"; persist(); render(); announce(queueText());
        }
        break;
      }
      case "leave_message_offered":
        state.leave = { reason: msg.reason, opens_at: msg.opens_at || null, time_zone: msg.time_zone || null };
        state.view = "leave"; persist(); render();
        announce(T.leaveTitle);
        break;
      case "privacy_notice":
        // A personal number the shopper typed was masked before it was stored or shown
        // to the agent (protocol/privacy.md): say so, in the server's words and language.
        setBanner(msg.text, "privacy");
        announce(msg.text);
        break;
      case "message_stored":
        state.view = "stored"; state.leave = null; persist(); render(); announce(T.stored);
        break;
      case "history":
        (msg.events || []).forEach(function (e) { addEvent(e, true); });
        afterEvents();
        if (msg.more) fetchMoreHistory();
        break;
      case "message": case "agent_joined": case "transferred": case "conversation_ended": case "rated":
        addEvent(msg, false);
        afterEvents();
        break;
      case "typing":
        if (msg.from === "agent") showTyping(msg.active);
        break;
      case "receipt":
        if (msg.from === "agent") {
          if (msg.kind === "read") agentRead = Math.max(agentRead, msg.seq);
          agentDelivered = Math.max(agentDelivered, msg.seq);
          updateStatuses();
        }
        break;
      default:
        break;  // a client must ignore message types it does not know (protocol "Versioning")
    }
  }

  function errorText(code) { return T.errors[code] || T.errors.generic; }

  function addEvent(ev, fromHistory) {
    if (typeof ev.seq !== "number") return;
    if (ev.conversation && ev.conversation !== state.conversation) {
      // A new conversation on this session (a new chat after the last one ended).
      if (ev.seq === 1 || !state.conversation || lastSeq() === 0 || isEnded()) {
        state.conversation = ev.conversation; state.events = []; state.rated = false;
        agentDelivered = agentRead = readSent = deliveredSent = 0;
        clear(messageList);
      }
    }
    if (state.events.some(function (e) { return e.seq === ev.seq; })) return;   // already held: dropped
    if (ev.type === "message" && ev.from === "customer" && ev.client_id) {
      var i = state.outbox.findIndex(function (m) { return m.id === ev.client_id; });
      if (i >= 0) state.outbox.splice(i, 1);
    }
    var idx = state.events.length;
    while (idx > 0 && state.events[idx - 1].seq > ev.seq) idx--;
    state.events.splice(idx, 0, ev);
    if (ev.type === "agent_joined") {
      state.agentName = ev.agent_name || state.agentName;
      if (!fromHistory) announce(T.agentJoined(state.agentName || T.agent));
    }
    if (ev.type === "message" && ev.from === "agent") {
      if (ev.agent_name) state.agentName = ev.agent_name;
      showTyping(false);
      if (!state.open || document.hidden) { unread += 1; showBadge(); }
    }
    if (ev.type === "rated") state.rated = true;
    insertEventNode(ev);
  }
  function isEnded() { return state.events.some(function (e) { return e.type === "conversation_ended"; }); }
  function afterEvents() {
    if (state.events.length) {
      var ended = isEnded();
      var transferredLast = lastOfType(["transferred", "agent_joined"]);
      if (ended) state.view = "ended";
      else if (transferredLast && transferredLast.type === "transferred") state.view = "chat";
      else if (state.events.some(function (e) { return e.type === "agent_joined"; })) state.view = "chat";
    }
    persist();
    // New events go into the message list in place; the view is rebuilt only when
    // it changes, so the composer (and what the shopper is typing) stays.
    if (state.view !== renderedView) render(); else renderStatus();
    var maxAgent = maxAgentSeq();
    if (maxAgent > deliveredSent) { deliveredSent = maxAgent; send({ type: "receipt", kind: "delivered", seq: maxAgent }); }
    sendReadReceipt();
  }
  function lastOfType(types) {
    for (var i = state.events.length - 1; i >= 0; i--) if (types.indexOf(state.events[i].type) >= 0) return state.events[i];
    return null;
  }
  function maxAgentSeq() {
    var m = 0;
    state.events.forEach(function (e) { if (e.type === "message" && e.from !== "customer") m = Math.max(m, e.seq); });
    return m;
  }
  function sendReadReceipt() {
    if (!state.open || document.hidden || !welcomed) return;
    var m = maxAgentSeq();
    if (m > readSent) { readSent = m; deliveredSent = Math.max(deliveredSent, m); send({ type: "receipt", kind: "read", seq: m }); }
  }
  document.addEventListener("visibilitychange", sendReadReceipt);

  // ---- own chat messages ---------------------------------------------------------------
  function findOutbox(id) { for (var i = 0; i < state.outbox.length; i++) if (state.outbox[i].id === id) return state.outbox[i]; return null; }
  function sendChat(m) { if (welcomed) send({ type: "send", id: m.id, text: m.text }); }
  function acknowledge(m, ack) {
    m.acked = true;
    state.outbox.splice(state.outbox.indexOf(m), 1);
    var pendingNode = messageList.querySelector('[data-client-id="' + m.id + '"]');
    if (pendingNode) pendingNode.remove();
    if (ack.conversation && !state.conversation) state.conversation = ack.conversation;
    // `text` comes back only when the broker masked a personal number (protocol/privacy.md):
    // keep (and save) the stored form, not what was typed.
    addEvent({ type: "message", conversation: ack.conversation, seq: ack.seq, ts: ack.ts, from: "customer", text: ack.text || m.text, client_id: m.id }, false);
    persist();
    updateStatuses();
  }
  function submitChat(text) {
    text = text.replace(/\s+$/, "");
    if (!text.trim()) return;
    var m = { id: "m-" + state.idPrefix + "-" + state.nextId++, text: text, ts: Date.now() };
    state.outbox.push(m);
    persist();
    sendChat(m);
    renderPending(m);
    setTyping(false);
  }

  // ---- typing ------------------------------------------------------------------------------
  var typingSentAt = 0, typingIdle = null, typingActive = false, agentTypingTimer = null;
  function setTyping(active) {
    clearTimeout(typingIdle);
    if (active) {
      var now = Date.now();
      if (!typingActive || now - typingSentAt > 2000) { typingActive = true; typingSentAt = now; send({ type: "typing", active: true }); }
      typingIdle = setTimeout(function () { setTyping(false); }, 5000);
    } else if (typingActive) {
      typingActive = false; send({ type: "typing", active: false });
    }
  }
  var typingNode = el("div", { class: "sbw-typing", hidden: true, "aria-live": "off" }, [
    el("span", { class: "sbw-dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]), el("span", { class: "sbw-typing-text" }),
  ]);
  function showTyping(active) {
    clearTimeout(agentTypingTimer);
    typingNode.hidden = !active;
    typingNode.querySelector(".sbw-typing-text").textContent = T.typing(state.agentName || T.agent);
    if (active) {
      agentTypingTimer = setTimeout(function () { typingNode.hidden = true; }, 6000);
      messageList.scrollTop = messageList.scrollHeight;
    }
  }

  // ---- views --------------------------------------------------------------------------------
  var messageList = el("div", { class: "sbw-messages", role: "log", "aria-live": "polite", "aria-label": T.transcriptTitle, tabindex: "0" });

  var renderedView = null, draft = "";
  function render() {
    var hadFocus = document.activeElement && document.activeElement.classList.contains("sbw-composer-input");
    renderedView = state.view;
    renderStatus();
    clear(body);
    body.className = "sbw-body sbw-view-" + state.view;
    switch (state.view) {
      case "prechat": body.appendChild(prechatView()); break;
      case "faq": body.appendChild(faqView()); break;
      case "queue": body.appendChild(queueView()); break;
      case "chat": body.appendChild(chatView()); break;
      case "ended": body.appendChild(chatView()); body.appendChild(endedView()); break;
      case "leave": body.appendChild(leaveView()); break;
      case "stored": body.appendChild(storedView()); break;
      case "deflected": body.appendChild(deflectedView()); break;
    }
    messageList.scrollTop = messageList.scrollHeight;
    var input = body.querySelector(".sbw-composer-input");
    if (input && hadFocus) input.focus();
  }
  function renderStatus() {
    if ((state.view === "chat" || state.view === "ended") && state.agentName) {
      headerTitle.textContent = T.agentTitle(state.agentName);
      statusLine.textContent = state.view === "ended" ? T.ended.customer_left : T.title;
      avatar.textContent = state.agentName.slice(0, 1);
      avatar.classList.add("sbw-avatar-agent");
    } else {
      headerTitle.textContent = T.title;
      statusLine.textContent = state.view === "queue" ? headerQueueText() : T.subtitle;
      avatar.textContent = "";
      avatar.classList.remove("sbw-avatar-agent");
    }
  }
  function queueText() { return place === null ? T.queued : placeText() + " · " + estimateText(); }
  function headerQueueText() { return place === null ? T.queued : placeText(); }
  function field(label, input, optional) {
    return el("label", { class: "sbw-field" }, [
      el("span", { class: "sbw-label" }, [label, optional ? el("span", { class: "sbw-optional", text: " (" + T.optional + ")" }) : null]), input,
    ]);
  }
  function formError(form, text) {
    var node = form.querySelector(".sbw-error");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function prechatView() {
    var f = state.form || {};
    var topic = el("select", { name: "queue", required: true, class: "sbw-input" });
    (queues.length ? queues : []).forEach(function (q) {
      topic.appendChild(el("option", { value: q.key, text: q.name, selected: f.queue === q.key }));
    });
    var name = el("input", { name: "name", class: "sbw-input", maxlength: "100", autocomplete: "name", value: f.name || "" });
    var order = el("input", { name: "order_number", class: "sbw-input", maxlength: "64", inputmode: "text", value: f.order_number || "" });
    var product = el("input", { name: "product", class: "sbw-input", maxlength: "200", value: f.product || "" });
    var question = el("textarea", { name: "first_message", class: "sbw-input", rows: "3", required: true, maxlength: "4000", placeholder: T.questionPlaceholder });
    question.value = f.first_message || "";
    var submit = el("button", { type: "submit", class: "sbw-primary", text: T.start, disabled: !welcomed });
    var form = el("form", { class: "sbw-form sbw-prechat", novalidate: true }, [
      el("div", { class: "sbw-bubble sbw-bubble-system sbw-greeting", text: T.greeting }),
      field(T.topic, topic), field(T.name, name, true), el("div", { class: "sbw-row" }, [field(T.orderNumber, order, true), field(T.product, product, true)]),
      field(T.question, question),
      el("p", { class: "sbw-error", role: "alert", hidden: true }), submit,
    ]);
    // What is typed survives a re-render (a reconnect, a reload of the page).
    form.addEventListener("input", function () {
      state.form = { queue: topic.value, name: name.value, order_number: order.value, product: product.value, first_message: question.value };
      persist();
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!topic.value || !question.value.trim()) { formError(form, T.required); (topic.value ? question : topic).focus(); return; }
      var start = { type: "start_chat", queue: topic.value };
      state.form = { queue: topic.value, name: name.value.trim(), order_number: order.value.trim(), product: product.value.trim(), first_message: question.value.trim() };
      ["name", "order_number", "product", "first_message"].forEach(function (k) { if (state.form[k]) start[k] = state.form[k]; });
      submit.disabled = true;
      state.conversation = null; state.events = []; state.rated = false; state.agentName = null; clear(messageList);
      persist();
      request(start, function () { /* faq_suggestions, queued or leave_message_offered follow */ }, function (err) {
        submit.disabled = false; formError(form, errorText(err.code));
      });
    });
    return form;
  }

  function faqView() {
    var wrap = el("div", { class: "sbw-faq" }, [el("h3", { class: "sbw-section-title", text: T.faqTitle })]);
    (state.faq || []).forEach(function (s) {
      wrap.appendChild(el("article", { class: "sbw-faq-card" }, [
        el("h4", { text: s.question }), el("p", { text: s.answer }),
        el("button", { type: "button", class: "sbw-secondary sbw-faq-solved", "data-entry": s.entry, text: T.faqSolved, onclick: function () {
          request({ type: "faq_resolved", entry: s.entry }, function () { state.view = "deflected"; state.faq = null; persist(); render(); announce(T.faqThanks); });
        } }),
      ]));
    });
    wrap.appendChild(el("button", { type: "button", class: "sbw-primary sbw-faq-continue", text: T.faqAgent, onclick: function (e) {
      e.target.disabled = true;
      request({ type: "faq_continue" }, function () { state.faq = null; persist(); }, function (err) { e.target.disabled = false; setBanner(errorText(err.code), "error"); });
    } }));
    return wrap;
  }

  function updateQueueTexts() {
    renderStatus();
    var p = body.querySelector(".sbw-place"), e = body.querySelector(".sbw-estimate");
    if (p) p.textContent = placeText();
    if (e) e.textContent = estimateText();
  }
  function placeText() { return place === null ? "" : T.place(place); }
  function estimateText() { return estimate === null ? T.waitNone : T.wait(T.minutes(Math.round(estimate / 60000))); }

  function queueView() {
    return el("div", { class: "sbw-queue" }, [
      el("div", { class: "sbw-spinner", "aria-hidden": "true" }),
      el("h3", { class: "sbw-section-title", text: T.queued }),
      el("p", { class: "sbw-place", text: placeText() }),
      el("p", { class: "sbw-estimate", text: estimateText() }),
      state.form && state.form.first_message ? el("div", { class: "sbw-bubble sbw-bubble-own sbw-queued-question", text: state.form.first_message }) : null,
      el("button", { type: "button", class: "sbw-link", text: T.cancel, onclick: function () {
        request({ type: "end" }, function () { state.view = "prechat"; persist(); render(); });
      } }),
    ]);
  }

  var composer = null;
  function chatView() {
    var wrap = el("div", { class: "sbw-chat" }, [messageList, typingNode]);
    if (state.view === "chat") {
      var input = el("textarea", { class: "sbw-composer-input", rows: "1", placeholder: T.composer, "aria-label": T.composer, maxlength: "4000" });
      var sendButton = el("button", { type: "submit", class: "sbw-send", "aria-label": T.send, title: T.send });
      var endButton = el("button", { type: "button", class: "sbw-end", text: T.endChat });
      composer = el("form", { class: "sbw-composer" }, [input, sendButton]);
      input.value = draft;
      composer.addEventListener("submit", function (e) { e.preventDefault(); submitChat(input.value); input.value = ""; draft = ""; autosize(input); input.focus(); });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); composer.requestSubmit(); }
      });
      input.addEventListener("input", function () { draft = input.value; autosize(input); setTyping(input.value.length > 0); });
      endButton.addEventListener("click", function () { confirmEnd(wrap, endButton); });
      wrap.appendChild(el("div", { class: "sbw-chat-actions" }, [endButton]));
      wrap.appendChild(composer);
      renderComposerState();
    }
    return wrap;
  }
  function renderComposerState() {
    if (!composer) return;
    composer.classList.toggle("sbw-composer-offline", !welcomed);
  }
  function autosize(t) { t.style.height = "auto"; t.style.height = Math.min(120, t.scrollHeight) + "px"; }
  function confirmEnd(wrap, endButton) {
    if (wrap.querySelector(".sbw-confirm")) return;
    var box = el("div", { class: "sbw-confirm", role: "alertdialog", "aria-label": T.endConfirm }, [
      el("p", { text: T.endConfirm }),
      el("button", { type: "button", class: "sbw-secondary", text: T.no, onclick: function () { box.remove(); endButton.focus(); } }),
      el("button", { type: "button", class: "sbw-danger sbw-confirm-end", text: T.yes, onclick: function () { box.remove(); request({ type: "end" }); } }),
    ]);
    wrap.appendChild(box);
    box.querySelector(".sbw-confirm-end").focus();
  }

  function endedView() {
    var wrap = el("div", { class: "sbw-ended" });
    if (!state.rated) {
      var stars = el("div", { class: "sbw-stars", role: "radiogroup", "aria-label": T.rateHint });
      for (var n = 1; n <= 5; n++) {
        var id = "sbw-star-" + n;
        stars.appendChild(el("input", { type: "radio", name: "sbw-score", value: String(n), id: id, class: "sbw-star-input" }));
        stars.appendChild(el("label", { for: id, class: "sbw-star", title: T.stars(n), "aria-label": T.stars(n) }, ["★"]));
      }
      var comment = el("textarea", { class: "sbw-input", rows: "2", maxlength: "1000", placeholder: T.commentPlaceholder });
      var submit = el("button", { type: "submit", class: "sbw-primary", text: T.submitRating });
      var form = el("form", { class: "sbw-form sbw-rating" }, [
        el("h3", { class: "sbw-section-title", text: T.rateTitle }), stars, field(T.comment, comment),
        el("p", { class: "sbw-error", role: "alert", hidden: true }), submit,
      ]);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var chosen = form.querySelector(".sbw-star-input:checked");
        if (!chosen) { formError(form, T.rateHint); return; }
        var rate = { type: "rate", score: Number(chosen.value) };
        if (comment.value.trim()) rate.comment = comment.value.trim();
        submit.disabled = true;
        request(rate, function () { state.rated = true; persist(); render(); announce(T.rated); }, function (err) {
          if (err.code === "already_rated") { state.rated = true; persist(); render(); return; }
          submit.disabled = false; formError(form, errorText(err.code));
        });
      });
      wrap.appendChild(form);
    } else {
      wrap.appendChild(el("p", { class: "sbw-thanks", text: T.rated }));
    }
    wrap.appendChild(el("div", { class: "sbw-ended-actions" }, [
      el("button", { type: "button", class: "sbw-secondary sbw-download", text: T.download, onclick: downloadTranscript }),
      el("button", { type: "button", class: "sbw-secondary sbw-new-chat", text: T.newChat, onclick: newChat }),
    ]));
    return wrap;
  }
  function newChat() {
    state.view = "prechat"; state.conversation = null; state.events = []; state.outbox = []; state.rated = false;
    state.agentName = null; state.faq = null; place = null; estimate = null; clear(messageList);
    if (state.form) state.form.first_message = "";
    persist(); render();
  }

  // The next opening in the centre's time zone, named ("12월 8일 (월) 오전 9:00 (Asia/Seoul)"):
  // the shopper may be elsewhere, and the hours are the centre's.
  function openingTime(ms, zone) {
    var options = { month: "long", day: "numeric", weekday: "short", hour: "numeric", minute: "2-digit" };
    var lang = locale === "ko" ? "ko-KR" : "en-US";
    if (zone) {
      try {
        return new Date(ms).toLocaleString(lang, Object.assign({ timeZone: zone }, options)) + " (" + zone + ")";
      } catch (e) { /* a zone this browser does not know: its own zone, named by the browser */ }
    }
    return new Date(ms).toLocaleString(lang, Object.assign({ timeZoneName: "short" }, options));
  }

  function leaveView() {
    var info = state.leave || {};
    var opens = info.opens_at ? openingTime(info.opens_at, info.time_zone) : null;
    var text = el("textarea", { class: "sbw-input", rows: "4", required: true, maxlength: "4000" });
    text.value = (state.form && state.form.first_message) || "";
    var reply = el("input", { class: "sbw-input", maxlength: "254", autocomplete: "email", type: "text" });
    var submit = el("button", { type: "submit", class: "sbw-primary", text: T.leaveSend });
    var form = el("form", { class: "sbw-form sbw-leave", novalidate: true }, [
      el("div", { class: "sbw-leave-icon", "aria-hidden": "true" }),
      el("h3", { class: "sbw-section-title", text: T.leaveTitle }),
      el("p", { class: "sbw-leave-reason", text: info.reason === "closed" ? T.leaveClosed(opens) : T.leaveUnattended }),
      field(T.leaveText, text), field(T.replyTo, reply, true),
      el("p", { class: "sbw-error", role: "alert", hidden: true }), submit,
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!text.value.trim()) { formError(form, T.required); text.focus(); return; }
      var leave = { type: "leave_message", text: text.value.trim() };
      if (reply.value.trim()) leave.reply_to = reply.value.trim();
      submit.disabled = true;
      request(leave, function () { /* message_stored follows */ }, function (err) { submit.disabled = false; formError(form, errorText(err.code)); });
    });
    return form;
  }
  function storedView() {
    return el("div", { class: "sbw-done" }, [
      el("div", { class: "sbw-check", "aria-hidden": "true" }), el("p", { text: T.stored }),
      el("button", { type: "button", class: "sbw-secondary", text: T.newChat, onclick: newChat }),
    ]);
  }
  function deflectedView() {
    return el("div", { class: "sbw-done" }, [
      el("div", { class: "sbw-check", "aria-hidden": "true" }), el("p", { text: T.faqThanks }),
      el("button", { type: "button", class: "sbw-secondary", text: T.newChat, onclick: newChat }),
    ]);
  }

  // ---- the message list (appended in seq order; nodes keyed by seq) ------------------------
  function insertEventNode(ev) {
    if (messageList.querySelector('[data-seq="' + ev.seq + '"]')) return;
    var node = eventNode(ev);
    if (!node) return;
    node.setAttribute("data-seq", String(ev.seq));
    var after = null;
    var nodes = messageList.querySelectorAll("[data-seq]");
    for (var i = 0; i < nodes.length; i++) if (Number(nodes[i].getAttribute("data-seq")) > ev.seq) { after = nodes[i]; break; }
    if (!after) after = messageList.querySelector("[data-client-id]");
    messageList.insertBefore(node, after);
    messageList.scrollTop = messageList.scrollHeight;
  }
  function eventNode(ev) {
    if (ev.type === "message") {
      var own = ev.from === "customer";
      var who = own ? T.you : ev.from === "agent" ? (ev.agent_name || T.agent) : T.system;
      var node = el("div", { class: "sbw-msg " + (own ? "sbw-msg-own" : ev.from === "agent" ? "sbw-msg-agent" : "sbw-msg-system") }, [
        own ? null : el("span", { class: "sbw-msg-author", text: who }),
        el("div", { class: "sbw-bubble", text: ev.text }),
        el("span", { class: "sbw-meta" }, [el("time", { text: timeOf(ev.ts) }), own ? el("span", { class: "sbw-status" }) : null]),
      ]);
      if (own) updateStatus(node, ev.seq);
      return node;
    }
    var text = null;
    if (ev.type === "agent_joined") text = T.agentJoined(ev.agent_name || T.agent);
    else if (ev.type === "transferred") text = T.transferred;
    else if (ev.type === "conversation_ended") text = T.ended[ev.reason] || T.ended.customer_left;
    else if (ev.type === "rated") return null;
    if (!text) return null;
    return el("div", { class: "sbw-event", text: text });
  }
  function renderPending(m) {
    var node = el("div", { class: "sbw-msg sbw-msg-own sbw-msg-pending", "data-client-id": m.id }, [
      el("div", { class: "sbw-bubble", text: m.text }),
      el("span", { class: "sbw-meta" }, [el("span", { class: "sbw-status" })]),
    ]);
    messageList.appendChild(node);
    updatePending(node, m);
    messageList.scrollTop = messageList.scrollHeight;
  }
  function updatePending(node, m) {
    var status = node.querySelector(".sbw-status");
    clear(status);
    if (m.failed) {
      status.appendChild(el("button", { type: "button", class: "sbw-retry", text: T.failed, onclick: function () { m.failed = false; sendChat(m); updatePending(node, m); } }));
      node.classList.add("sbw-msg-failed");
    } else {
      status.textContent = T.sending;
      status.setAttribute("data-state", "sending");
      node.classList.remove("sbw-msg-failed");
    }
  }
  function updateStatus(node, seq) {
    var status = node.querySelector(".sbw-status");
    var s = agentRead >= seq ? "read" : agentDelivered >= seq ? "delivered" : "sent";
    status.textContent = T[s];
    status.setAttribute("data-state", s);
  }
  function updateStatuses() {
    var nodes = messageList.querySelectorAll(".sbw-msg-own[data-seq]");
    for (var i = 0; i < nodes.length; i++) updateStatus(nodes[i], Number(nodes[i].getAttribute("data-seq")));
  }
  function renderMessages() {
    var pendingNodes = messageList.querySelectorAll("[data-client-id]");
    for (var i = 0; i < pendingNodes.length; i++) pendingNodes[i].remove();
    state.events.forEach(insertEventNode);
    state.outbox.forEach(renderPending);
    updateStatuses();
  }

  // ---- transcript download -----------------------------------------------------------------
  function transcriptText() {
    var lines = [T.transcriptTitle + " — " + location.host, new Date().toLocaleString(locale === "ko" ? "ko-KR" : "en-US"), ""];
    if (state.form) {
      if (state.form.order_number) lines.push(T.orderNumber + ": " + state.form.order_number);
      if (state.form.product) lines.push(T.product + ": " + state.form.product);
      lines.push("");
    }
    state.events.forEach(function (e) {
      var when = "[" + new Date(e.ts).toLocaleString(locale === "ko" ? "ko-KR" : "en-US") + "] ";
      if (e.type === "message") lines.push(when + (e.from === "customer" ? T.you : e.from === "agent" ? (e.agent_name || T.agent) : T.system) + ": " + e.text);
      else { var n = eventNode(e); if (n) lines.push(when + n.textContent); }
    });
    return lines.join("\n") + "\n";
  }
  /** The broker's export (GET /v1/conversations/{id}/transcript.txt with the session
   *  token as a Bearer token: everything it recorded, also what this tab never saw);
   *  if it cannot be had, the text built from the events this widget holds. */
  function downloadTranscript() {
    var name = "transcript-" + (state.conversation || "chat") + ".txt";
    function save(blob) {
      var url = URL.createObjectURL(blob);
      var a = el("a", { href: url, download: name, class: "sbw-sr" });
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
    }
    function local() { save(new Blob(["\ufeff" + transcriptText()], { type: "text/plain;charset=utf-8" })); }
    if (!state.conversation || !state.session || !window.fetch) { local(); return; }
    fetch(new URL("/v1/conversations/" + encodeURIComponent(state.conversation) + "/transcript.txt", server).href, {
      headers: { Authorization: "Bearer " + state.session }, cache: "no-store", credentials: "omit",
    }).then(function (r) {
      if (!r.ok) throw new Error("export answered " + r.status);
      return r.blob();
    }).then(save, local);
  }

  // ---- start ------------------------------------------------------------------------------------
  renderMessages();
  render();
  if (state.open) setOpen(true);
  else if (state.session) connect();   // resume in the background: the agent may be writing

  /** A small API for the host page (and the browser tests): open/close the panel,
   *  read the state, and drop the connection to exercise the reconnect path. */
  window.SwitchboardWidget = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    state: function () { return { view: state.view, connected: welcomed, conversation: state.conversation, lastSeq: lastSeq(),
      events: state.events.length, outbox: state.outbox.length, place: place, estimate: estimate }; },
    dropConnection: function (holdMs) { holdUntil = Date.now() + (holdMs || 0); if (ws) ws.close(4000, "dropped"); },
    reconnect: function () { holdUntil = 0; if (!ws && !stopped) { clearTimeout(retryTimer); connect(); } },
    transcript: transcriptText,
  };
})();
