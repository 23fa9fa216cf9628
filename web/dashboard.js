/* The supervisor dashboard (/dashboard): live queues, agents by status, waits
 * (measured chat, the shadow phone queue, Erlang C and Erlang A, saying which applies,
 * and the customers' patience as a Kaplan–Meier curve, when the broker publishes them),
 * service level, abandonment, estimate error, drawn as SVG from the `snapshot`s the
 * broker pushes on /v1/ws/supervisor (about once a second while anything changes).
 * Fields the snapshot does not carry yet are shown as "–" (protocol/README.md). */
(function () {
  "use strict";
  var S = window.Staff, el = S.el, svg = S.svg, clear = S.clear;
  var TEXT = {
    ko: {
      signIn: "로그인", signInTitle: "실시간 대시보드", signInHint: "관리자 계정으로 로그인하세요.", login: "아이디", secret: "비밀번호",
      required: "아이디와 비밀번호를 입력하세요.", badLogin: "아이디 또는 비밀번호가 올바르지 않습니다.",
      throttled: function (s) { return "로그인 실패가 너무 많습니다. " + s + "초 후에 다시 시도하세요."; }, reconnecting: "연결이 끊겨 다시 연결하는 중…",
      open: "운영 중", closed: "운영 시간 외", updated: function (t) { return "갱신 " + t; },
      waiting: "대기 중 채팅", calls: "대기 중 전화", onDuty: "근무 중 상담원", serviceLevel: "서비스 수준", meanWait: "평균 대기 (채팅)",
      phoneWait: "평균 대기 (전화 가상 대기열)", abandoned: "포기율", deflected: "FAQ 해결", estimateError: "예상 대기 오차",
      within: function (s) { return s + "초 안에 연결"; }, longest: function (d) { return "최장 대기 " + d; }, erlang: "Erlang C 예측",
      waitingChart: "대기 인원 추이", waitChart: "대기 시간 비교: 채팅 vs 전화", queues: "대기열", agents: "상담원",
      queue: "대기열", chats: "채팅", callsShort: "전화", agentsShort: "상담원", pending: "남긴 메시지", count: "건수", mean: "평균", p90: "p90",
      sl: "서비스 수준", aband: "포기율", estimateErrorShort: "예상 오차", shadow: "전화(가상)", erlangShort: "Erlang A/C",
      legendChat: "채팅 평균", legendP90: "채팅 p90", legendShadow: "전화 가상 대기열 평균", legendErlang: "Erlang C 평균", legendCalls: "전화 대기",
      status: { available: "상담 가능", away: "자리 비움", offline: "오프라인" }, disconnected: "연결 끊김",
      noData: "아직 측정된 대기가 없습니다. 상담이 배정되면 채워집니다.", minutesAgo: "분 전", now: "지금",
      window: function (ms) { return "최근 " + Math.round((ms || 900000) / 60000) + "분"; }, run: "전체 기간", center: "전체",
      occupancy: function (p, c) { return "점유율 " + p + (c !== null && c !== undefined ? " · 동시 상담 " + c.toFixed(1) : ""); }, unstable: "감당 불가",
      erlangA: "Erlang A 예측", erlangAbandon: function (p) { return "포기 " + p; }, appliesA: "고객이 포기하므로 Erlang A가 맞습니다",
      appliesC: "아직 포기한 고객이 없어 Erlang C를 씁니다", patience: "고객 인내심 (중앙값)", patienceChart: "고객 인내심: 아직 기다리는 비율 (Kaplan–Meier)",
      patienceMean: function (d, restricted) { return restricted ? "평균 " + d + " 이상 (관측 범위까지)" : "평균 " + d; },
      patienceUnknown: "포기한 고객이 아직 없습니다", patienceOver: function (d) { return d + " 넘게"; },
      legendPatienceChat: "채팅 고객", legendPatienceVoice: "전화 고객", patienceNote: function (a, n) { return "포기 " + a + "명 · 관측 " + n + "명"; },
    },
    en: {
      signIn: "Sign in", signInTitle: "Live dashboard", signInHint: "Sign in with your supervisor account.", login: "Login", secret: "Secret",
      required: "Enter your login and secret.", badLogin: "The login or secret is not right.",
      throttled: function (s) { return "Too many failed sign-ins. Try again in " + s + " s."; }, reconnecting: "Connection lost, reconnecting…",
      open: "Open", closed: "Closed", updated: function (t) { return "Updated " + t; },
      waiting: "Chats waiting", calls: "Calls waiting", onDuty: "Agents on duty", serviceLevel: "Service level", meanWait: "Mean wait (chat)",
      phoneWait: "Mean wait (shadow phone queue)", abandoned: "Abandoned", deflected: "Solved by FAQ", estimateError: "Wait estimate error",
      within: function (s) { return "answered within " + s + " s"; }, longest: function (d) { return "longest wait " + d; }, erlang: "Erlang C prediction",
      waitingChart: "Customers waiting", waitChart: "Waits compared: chat vs phone", queues: "Queues", agents: "Agents",
      queue: "Queue", chats: "Chats", callsShort: "Calls", agentsShort: "Agents", pending: "Left msgs", count: "Count", mean: "Mean", p90: "p90",
      sl: "Service level", aband: "Abandoned", estimateErrorShort: "Est. error", shadow: "Phone (shadow)", erlangShort: "Erlang A/C",
      legendChat: "chat mean", legendP90: "chat p90", legendShadow: "shadow phone mean", legendErlang: "Erlang C mean", legendCalls: "calls waiting",
      status: { available: "Available", away: "Away", offline: "Offline" }, disconnected: "disconnected",
      noData: "No waits measured yet; they appear once chats are assigned.", minutesAgo: " min ago", now: "now",
      window: function (ms) { return "last " + Math.round((ms || 900000) / 60000) + " min"; }, run: "whole run", center: "All",
      occupancy: function (p, c) { return "occupancy " + p + (c !== null && c !== undefined ? " · " + c.toFixed(1) + " chats each" : ""); }, unstable: "unstable",
      erlangA: "Erlang A prediction", erlangAbandon: function (p) { return p + " hang up"; }, appliesA: "customers give up, so Erlang A applies",
      appliesC: "nobody has given up yet: Erlang C applies", patience: "Patience (median)", patienceChart: "Patience: share still willing to wait (Kaplan–Meier)",
      patienceMean: function (d, restricted) { return restricted ? "mean over " + d + " (up to the longest wait seen)" : "mean " + d; },
      patienceUnknown: "nobody has given up yet", patienceOver: function (d) { return "over " + d; },
      legendPatienceChat: "chat customers", legendPatienceVoice: "callers", patienceNote: function (a, n) { return a + " gave up · " + n + " observed"; },
    },
  };
  var T = TEXT[S.lang];
  var app = document.getElementById("app");
  var conn = null, snapshot = null, history = [], agents = {}, connState = "connecting";
  var HISTORY_MS = 10 * 60 * 1000, skew = 0;

  /** One point of the "waiting" chart. Snapshots come only when something changed,
   *  so the last one is sampled every second too (the line steps, it does not slope). */
  function sample() {
    if (!snapshot) return;
    var waiting = 0, calls = 0, ts = Date.now() + skew;
    (snapshot.queues || []).forEach(function (q) { waiting += q.waiting_chats || 0; calls += q.waiting_calls || 0; });
    history.push({ ts: ts, waiting: waiting, calls: calls });
    while (history.length && history[0].ts < ts - HISTORY_MS) history.shift();
  }
  setInterval(function () { if (snapshot && kpiNode) { sample(); renderWaitingChart(); } }, 1000);

  function showSignIn() {
    clear(app);
    document.title = T.signInTitle + " — Switchboard";
    app.appendChild(S.signInForm(T, function (login, secret, fail) {
      var first = true;
      conn = new S.Connection("supervisor", { login: login, secret: secret }, {
        state: function (state, error) {
          connState = state;
          if (state === "failed") { if (first) fail(T.badLogin); else showSignIn(); return; }
          if (state === "throttled") { if (first) fail(T.throttled(Math.ceil((error.retry_after_ms || 60000) / 1000))); else showSignIn(); return; }
          if (state === "open") first = false;
          renderTop();
        },
        message: receive,
      });
      conn.open();
    }));
  }

  function receive(msg) {
    if (msg.type === "snapshot") {
      snapshot = msg;
      agents = {};
      (msg.agents || []).forEach(function (a) { agents[a.handle] = a; });
      skew = msg.ts - Date.now();
      sample();
      render();
    } else if (msg.type === "presence") {
      agents[msg.agent.handle] = msg.agent;
      if (kpiNode && snapshot) renderKPIs();
      renderAgents();
    }
  }

  // ---- numbers -----------------------------------------------------------------------
  function pct(x) { return x === null || x === undefined || isNaN(x) ? "–" : Math.round(x * 100) + "%"; }
  function dur(ms) { return ms === null || ms === undefined ? "–" : S.formatDuration(ms, S.lang); }
  function get(obj, path) { return path.split(".").reduce(function (o, k) { return o && o[k] !== undefined ? o[k] : null; }, obj); }
  /** What a queue (or the whole center, `snapshot.stats`) measured for chat: the
   *  sliding window (`window`, 15 minutes by default) when it has waits, else the
   *  whole run. Returns {line, span} or nulls. */
  function chatLine(obj) {
    var spans = get(obj, "wait.chat");
    if (!spans) return { line: null, span: null };
    if (spans.window && get(spans.window, "wait.count")) return { line: spans.window, span: "window" };
    return { line: spans.run || null, span: spans.run ? "run" : null };
  }
  function shadowLine(obj) {
    var s = get(obj, "phone.shadow");
    if (!s) return null;
    return s.window && get(s.window, "wait.count") ? s.window : s.run || null;
  }
  function erlangWait(obj) { return get(obj, "phone.erlang_c.mean_wait_ms"); }
  function erlangAWait(obj) { return get(obj, "phone.erlang_a.mean_wait_ms"); }
  /** The phone model's line: the one that applies first (Erlang A once anyone gave up), the other beside it. */
  function phoneModels(obj) {
    var a = erlangAWait(obj), c = erlangWait(obj), parts = [];
    var cText = c !== null ? T.erlang + " " + dur(c) : unstable(obj) ? T.erlang + " " + T.unstable : null;
    if (get(obj, "phone.applies") === "erlang_a" && a !== null) {
      parts.push(T.erlangA + " " + dur(a) + " · " + T.erlangAbandon(pct(get(obj, "phone.erlang_a.abandon_probability"))));
      if (cText) parts.push(cText);
      parts.push(T.appliesA);
    } else {
      if (cText) parts.push(cText);
      parts.push(T.appliesC);
    }
    return parts.join(" · ");
  }
  /** The center's patience to show: the callers' once they have given up, else the chats'. */
  function patienceOf(stats) {
    var voice = get(stats, "wait.voice.patience"), chat = get(stats, "wait.chat.patience");
    return voice && voice.abandoned ? voice : chat && chat.abandoned ? chat : voice || chat || null;
  }
  function unstable(obj) {
    var load = get(obj, "phone.offered_load"), agents = get(obj, "phone.agents_on_duty");
    return load !== null && agents !== null && load >= agents && !get(obj, "phone.erlang_c");
  }

  // ---- layout ---------------------------------------------------------------------------
  var topNode, kpiNode, chartWaiting, chartWaits, chartPatience, queueTable, agentsNode;
  function layout() {
    clear(app);
    topNode = el("header", { class: "dash-top" });
    kpiNode = el("section", { class: "kpis", "aria-label": "KPI" });
    chartWaiting = el("div");
    chartWaits = el("div");
    chartPatience = el("div");
    queueTable = el("div");
    agentsNode = el("div");
    app.appendChild(el("div", { class: "dash" }, [topNode, el("div", { class: "dash-body" }, [
      kpiNode,
      el("div", { class: "panels" }, [
        el("section", { class: "panel" }, [el("h2", { text: T.waitingChart }), chartWaiting]),
        el("section", { class: "panel" }, [el("h2", { text: T.waitChart }), chartWaits]),
        el("section", { class: "panel" }, [el("h2", { text: T.patienceChart }), chartPatience]),
      ]),
      el("section", { class: "panel" }, [el("h2", { text: T.queues }), queueTable]),
      el("section", { class: "panel" }, [el("h2", { text: T.agents }), agentsNode]),
    ])]));
  }
  function render() {
    if (!kpiNode) layout();
    renderTop(); renderKPIs(); renderWaitingChart(); renderWaitsChart(); renderPatienceChart(); renderQueues(); renderAgents();
  }
  function renderTop() {
    if (!topNode) return;
    clear(topNode);
    topNode.appendChild(el("div", { class: "brand" }, [el("span", { class: "brand-mark", "aria-hidden": "true" }), T.signInTitle]));
    if (snapshot) topNode.appendChild(el("span", { class: "badge " + (snapshot.open ? "open" : "closed"), text: snapshot.open ? T.open : T.closed }));
    topNode.appendChild(el("span", { class: "connection", role: "status", hidden: connState === "open", text: T.reconnecting }));
    if (snapshot) topNode.appendChild(el("span", { class: "updated", text: T.updated(new Date(snapshot.ts).toLocaleTimeString(S.lang === "ko" ? "ko-KR" : "en-US")) }));
  }
  function kpi(title, value, sub, tone, key) {
    return el("article", { class: "kpi" + (tone ? " " + tone : ""), "data-kpi": key }, [el("h3", { text: title }), el("div", { class: "value", text: value }), sub ? el("div", { class: "sub", text: sub }) : null]);
  }
  function renderKPIs() {
    clear(kpiNode);
    var qs = snapshot.queues || [], stats = snapshot.stats || null;
    var waiting = 0, calls = 0, deflected = 0, longest = null;
    qs.forEach(function (q) { waiting += q.waiting_chats || 0; calls += q.waiting_calls || 0; deflected += q.deflected || 0;
      if (q.longest_wait_ms !== undefined) longest = Math.max(longest || 0, q.longest_wait_ms); });
    var list = Object.keys(agents).map(function (h) { return agents[h]; });
    var available = list.filter(function (a) { return a.status === "available" && a.connected; }).length;
    var onDuty = list.filter(function (a) { return a.status !== "offline"; }).length;
    var c = chatLine(stats), line = c.line, spanText = c.span === "window" ? T.window(get(stats, "window_ms")) : c.span === "run" ? T.run : null;
    var threshold = get(stats, "service_level_threshold_ms");
    var sl = get(line, "service_level"), shadow = shadowLine(stats), erlang = erlangWait(stats);
    var occupancy = get(stats, "agents.now.occupancy"), concurrency = get(stats, "agents.now.concurrency");
    kpiNode.appendChild(kpi(T.waiting, String(waiting), longest !== null && waiting + calls > 0 ? T.longest(dur(longest)) : null, waiting > 5 ? "bad" : null, "waiting"));
    kpiNode.appendChild(kpi(T.onDuty, available + " / " + onDuty, occupancy !== null ? T.occupancy(pct(occupancy), concurrency) : T.status.available + " / " + T.onDuty, null, "agents"));
    kpiNode.appendChild(kpi(T.serviceLevel, pct(sl), T.within(Math.round((threshold || 20000) / 1000)) + (spanText ? " · " + spanText : ""),
      sl === null ? null : sl >= 0.8 ? "good" : sl < 0.5 ? "bad" : null, "service-level"));
    kpiNode.appendChild(kpi(T.meanWait, dur(get(line, "wait.mean_ms")), get(line, "wait.p90_ms") !== null ? "p90 " + dur(get(line, "wait.p90_ms")) : null, null, "chat-wait"));
    kpiNode.appendChild(kpi(T.phoneWait, dur(get(shadow, "wait.mean_ms")), phoneModels(stats), null, "phone-wait"));
    var patience = patienceOf(stats);
    if (patience) {
      var median = get(patience, "median_ms"), mean = get(patience, "mean_ms");
      kpiNode.appendChild(kpi(T.patience, median !== null ? dur(median) : patience.abandoned ? T.patienceOver(dur(get(patience, "longest_ms"))) : "–",
        patience.abandoned ? (mean !== null ? T.patienceMean(dur(mean), patience.mean_restricted) + " · " : "") + T.patienceNote(patience.abandoned, patience.abandoned + patience.answered)
          : T.patienceUnknown, null, "patience"));
    }
    kpiNode.appendChild(kpi(T.abandoned, pct(get(line, "abandonment_rate")), get(line, "abandoned.total") ? String(get(line, "abandoned.total")) : null, null, "abandoned"));
    kpiNode.appendChild(kpi(T.deflected, String(deflected), null, null, "deflected"));
    kpiNode.appendChild(kpi(T.estimateError, dur(get(line, "estimate_error.p50_ms")),
      get(line, "estimate_error.p90_ms") !== null ? "p90 " + dur(get(line, "estimate_error.p90_ms")) : null, null, "estimate-error"));
    if (calls) kpiNode.appendChild(kpi(T.calls, String(calls), null, null, "calls"));
  }

  // ---- charts (SVG) -------------------------------------------------------------------------
  function niceMax(v) { if (v <= 4) return 4; var p = Math.pow(10, Math.floor(Math.log10(v))); var n = Math.ceil(v / p); return (n <= 2 ? 2 : n <= 5 ? 5 : 10) * p; }
  function renderWaitingChart() {
    clear(chartWaiting);
    var W = 520, H = 200, L = 34, R = 10, TOP = 10, B = 24;
    var chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": T.waitingChart });
    var last = history.length ? history[history.length - 1].ts : Date.now();
    // The last 10 minutes, or less while the page has watched less (at least 2).
    var spanMs = Math.min(HISTORY_MS, Math.max(2 * 60000, history.length ? last - history[0].ts : 0));
    spanMs = Math.ceil(spanMs / 60000) * 60000;
    var t0 = last - spanMs;
    var maxV = niceMax(Math.max.apply(null, history.map(function (p) { return Math.max(p.waiting, p.calls); }).concat([1])));
    function x(ts) { return L + (W - L - R) * (ts - t0) / spanMs; }
    function y(v) { return TOP + (H - TOP - B) * (1 - v / maxV); }
    for (var i = 0; i <= 4; i++) {
      var v = maxV * i / 4;
      chart.appendChild(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      chart.appendChild(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, [String(Math.round(v))]));
    }
    var minutes = spanMs / 60000, ticks = [minutes, Math.round(minutes / 2), 0];
    ticks.forEach(function (m, i) {
      chart.appendChild(svg("text", { x: x(last - m * 60000), y: H - 6, "text-anchor": i === 2 ? "end" : i === 0 ? "start" : "middle" }, [m === 0 ? T.now : m + T.minutesAgo]));
    });
    function path(pick, color, fill) {
      if (!history.length) return;
      var d = history.map(function (p, i) {
        return i ? "H" + x(p.ts).toFixed(1) + " V" + y(pick(p)).toFixed(1) : "M" + x(p.ts).toFixed(1) + " " + y(pick(p)).toFixed(1);
      }).join(" ");
      if (fill) chart.appendChild(svg("path", { d: d + " L" + x(last).toFixed(1) + " " + y(0) + " L" + x(history[0].ts).toFixed(1) + " " + y(0) + " Z", fill: color, opacity: "0.12" }));
      chart.appendChild(svg("path", { d: d, fill: "none", stroke: color, "stroke-width": "2.2", "stroke-linejoin": "round" }));
    }
    path(function (p) { return p.waiting; }, "#4c6ef5", true);
    path(function (p) { return p.calls; }, "#12b886", false);
    chartWaiting.appendChild(chart);
    chartWaiting.appendChild(el("div", { class: "legend" }, [el("span", {}, [el("i", { class: "sw-chat" }), T.waiting]), el("span", {}, [el("i", { class: "sw-calls" }), T.legendCalls])]));
  }
  function renderWaitsChart() {
    clear(chartWaits);
    var qs = (snapshot.queues || []).slice();
    if (snapshot.stats) qs.push({ name: T.center, wait: snapshot.stats.wait, phone: snapshot.stats.phone });
    var series = [
      { key: "chat", cls: "#4c6ef5", pick: function (q) { return get(chatLine(q).line, "wait.mean_ms"); }, label: T.legendChat },
      { key: "p90", cls: "#91a7ff", pick: function (q) { return get(chatLine(q).line, "wait.p90_ms"); }, label: T.legendP90 },
      { key: "shadow", cls: "#f76707", pick: function (q) { return get(shadowLine(q), "wait.mean_ms"); }, label: T.legendShadow },
      { key: "erlang", cls: "#ffc078", pick: function (q) { return erlangWait(q); }, label: T.legendErlang },
    ];
    var maxV = 0;
    qs.forEach(function (q) { series.forEach(function (s) { var v = s.pick(q); if (v) maxV = Math.max(maxV, v); }); });
    var W = 520, H = 200, L = 44, R = 10, TOP = 10, B = 26;
    var chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": T.waitChart });
    var top = niceMax(Math.max(1, maxV / 1000));
    function y(ms) { return TOP + (H - TOP - B) * (1 - (ms / 1000) / top); }
    for (var i = 0; i <= 4; i++) {
      var v = top * i / 4;
      chart.appendChild(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(v * 1000), y2: y(v * 1000) }));
      chart.appendChild(svg("text", { x: L - 6, y: y(v * 1000) + 4, "text-anchor": "end" }, [Math.round(v) + (S.lang === "ko" ? "초" : "s")]));
    }
    var groupW = (W - L - R) / Math.max(1, qs.length), barW = Math.min(18, (groupW - 16) / series.length);
    qs.forEach(function (q, gi) {
      var gx = L + gi * groupW + (groupW - barW * series.length) / 2;
      series.forEach(function (s, si) {
        var v = s.pick(q);
        if (v === null || v === undefined) return;
        var rect = svg("rect", { x: (gx + si * barW).toFixed(1), y: y(v).toFixed(1), width: (barW - 2).toFixed(1), height: Math.max(0, y(0) - y(v)).toFixed(1), fill: s.cls, rx: "2" },
          [svg("title", {}, [q.name + " · " + s.label + ": " + dur(v)])]);
        chart.appendChild(rect);
      });
      chart.appendChild(svg("text", { x: (L + gi * groupW + groupW / 2).toFixed(1), y: H - 8, "text-anchor": "middle" }, [q.name]));
    });
    chartWaits.appendChild(chart);
    chartWaits.appendChild(el("div", { class: "legend" }, series.map(function (s) { return el("span", {}, [el("i", { class: "sw-" + s.key }), s.label]); })));
    if (!maxV) chartWaits.appendChild(el("p", { class: "note", text: T.noData }));
  }
  function phoneModelCell(q) {
    var c = erlangWait(q) !== null ? "C " + dur(erlangWait(q)) : unstable(q) ? "C " + T.unstable : null;
    var a = erlangAWait(q) !== null ? "A " + dur(erlangAWait(q)) : null;
    if (get(q, "phone.applies") === "erlang_a" && a) return c ? a + " · " + c : a;
    return c || "–";
  }
  function renderPatienceChart() {
    if (!chartPatience) return;
    clear(chartPatience);
    var stats = snapshot.stats || null;
    var curves = [{ key: "chat", color: "#4c6ef5", p: get(stats, "wait.chat.patience"), label: T.legendPatienceChat },
                  { key: "voice", color: "#12b886", p: get(stats, "wait.voice.patience"), label: T.legendPatienceVoice }]
      .filter(function (c) { return c.p && c.p.abandoned; });
    if (!curves.length) { chartPatience.appendChild(el("p", { class: "note", text: T.patienceUnknown })); return; }
    var W = 520, H = 180, L = 40, R = 10, TOP = 10, B = 24;
    var maxMs = Math.max.apply(null, curves.map(function (c) { return c.p.longest_ms || 1; }));
    var top = niceMax(Math.max(1, maxMs / 1000));
    function x(ms) { return L + (W - L - R) * (ms / 1000) / top; }
    function y(s) { return TOP + (H - TOP - B) * (1 - s); }
    var chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": T.patienceChart });
    [0, 0.5, 1].forEach(function (s) {
      chart.appendChild(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(s), y2: y(s) }));
      chart.appendChild(svg("text", { x: L - 6, y: y(s) + 4, "text-anchor": "end" }, [Math.round(s * 100) + "%"]));
    });
    [0, top / 2, top].forEach(function (v, i) {
      chart.appendChild(svg("text", { x: x(v * 1000), y: H - 6, "text-anchor": i === 0 ? "start" : i === 2 ? "end" : "middle" }, [dur(v * 1000)]));
    });
    curves.forEach(function (c) {
      var d = "M" + x(0).toFixed(1) + " " + y(1).toFixed(1), s = 1;
      c.p.curve.forEach(function (pt) { d += " H" + x(pt.ms).toFixed(1) + " V" + y(pt.survival).toFixed(1); s = pt.survival; });
      d += " H" + x(c.p.longest_ms).toFixed(1);
      chart.appendChild(svg("path", { d: d, fill: "none", stroke: c.color, "stroke-width": "2.2" }, [svg("title", {}, [c.label + ": " + T.patienceNote(c.p.abandoned, c.p.abandoned + c.p.answered)])]));
    });
    chartPatience.appendChild(chart);
    chartPatience.appendChild(el("div", { class: "legend" }, curves.map(function (c) { return el("span", {}, [el("i", { class: "sw-patience-" + c.key }), c.label]); })));
  }
  function renderQueues() {
    clear(queueTable);
    var head = [T.queue, T.chats, T.callsShort, T.agentsShort, T.pending, T.count, T.mean, T.p90, T.sl, T.aband, T.shadow, T.erlangShort, T.estimateErrorShort];
    var table = el("table", { class: "data" }, [el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col", text: h }); }))])]);
    var tbody = el("tbody");
    (snapshot.queues || []).forEach(function (q) {
      var line = chatLine(q).line;
      var cells = [q.name, q.waiting_chats, q.waiting_calls, q.agents_on_duty, q.pending_messages, get(line, "wait.count"), dur(get(line, "wait.mean_ms")),
        dur(get(line, "wait.p90_ms")), pct(get(line, "service_level")), pct(get(line, "abandonment_rate")), dur(get(shadowLine(q), "wait.mean_ms")),
        phoneModelCell(q), dur(get(line, "estimate_error.p50_ms"))];
      tbody.appendChild(el("tr", { "data-queue": q.queue }, cells.map(function (c, i) {
        return el(i ? "td" : "th", i ? {} : { scope: "row" }, [c === null || c === undefined ? "–" : String(c)]);
      })));
    });
    table.appendChild(tbody);
    queueTable.appendChild(table);
  }
  function renderAgents() {
    if (!agentsNode) return;
    clear(agentsNode);
    var list = Object.keys(agents).map(function (h) { return agents[h]; });
    var groups = { available: 0, away: 0, offline: 0 };
    list.forEach(function (a) { groups[a.status] = (groups[a.status] || 0) + 1; });
    agentsNode.appendChild(el("div", { class: "status-groups" }, Object.keys(groups).map(function (s) {
      return el("span", { "data-status": s }, [el("i", { class: "dot " + s }), T.status[s] + " " + groups[s]]);
    })));
    var grid = el("div", { class: "agents" });
    list.sort(function (a, b) { return ["available", "away", "offline"].indexOf(a.status) - ["available", "away", "offline"].indexOf(b.status) || a.name.localeCompare(b.name); });
    list.forEach(function (a) {
      var cap = (a.capacity && a.capacity.chat) || 0;
      var bar = el("span");
      bar.style.width = (cap ? Math.min(100, 100 * a.chats / cap) : 0) + "%";
      grid.appendChild(el("div", { class: "agent", "data-agent": a.handle }, [
        el("span", { class: "avatar small", "aria-hidden": "true", text: a.name.slice(0, 1) }),
        el("div", { class: "who" }, [el("b", { text: a.name }),
          el("span", { class: "small muted" }, [el("i", { class: "dot " + a.status }), T.status[a.status] + (a.connected ? "" : " · " + T.disconnected) + " · " + a.chats + "/" + cap + (a.calls ? " · ☎ " + a.calls : "")]),
          el("div", { class: "load", "aria-hidden": "true" }, [bar])]),
      ]));
    });
    agentsNode.appendChild(grid);
  }

  showSignIn();
})();
