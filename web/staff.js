/* Shared by the agent console and the supervisor dashboard: the sign-in form, a
 * switchboard.v1 connection that reconnects with backoff (re-sending hello with the
 * credentials held in memory only), small DOM helpers and the ko/en switch.
 * Plain JavaScript, no build step. */
(function () {
  "use strict";
  var lang = (new URLSearchParams(location.search).get("lang") || localStorage.getItem("switchboard.lang") || "ko") === "en" ? "en" : "ko";
  document.documentElement.lang = lang;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (k === "text") node.textContent = v;
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) { if (c !== null && c !== undefined && c !== false) node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function announce(text) {
    var a = document.getElementById("announcer");
    if (!a) return;
    a.textContent = "";
    setTimeout(function () { a.textContent = text; }, 30);
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  /** A staff connection: role "agent" or "supervisor"; handlers.message(msg),
   *  handlers.state("connecting"|"open"|"reconnecting"|"failed"|"replaced", detail). */
  function Connection(role, credentials, handlers) {
    this.role = role; this.credentials = credentials; this.handlers = handlers;
    this.ws = null; this.attempts = 0; this.stopped = false; this.counter = 0; this.pending = {};
    this.welcomed = false;
  }
  Connection.prototype.url = function () {
    var u = new URL("/v1/ws/" + this.role, location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.href;
  };
  Connection.prototype.open = function () {
    var self = this;
    if (self.ws || self.stopped) return;
    self.handlers.state(self.attempts ? "reconnecting" : "connecting");
    var ws;
    try { ws = new WebSocket(self.url(), "switchboard.v1"); } catch (e) { self.retry(0); return; }
    self.ws = ws;
    ws.onopen = function () { ws.send(JSON.stringify({ type: "hello", login: self.credentials.login, secret: self.credentials.secret })); };
    ws.onmessage = function (ev) {
      var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (!msg || typeof msg.type !== "string") return;
      if (msg.type === "welcome") { self.attempts = 0; self.welcomed = true; self.handlers.state("open", msg); }
      // Too many failed sign-ins from this address: retrying cannot help before retry_after_ms.
      // The sign-in line is busy (a short retry_after_ms): not this person's doing, try again then.
      if (msg.type === "error" && msg.code === "rate_limited" && msg.fatal && !self.welcomed) {
        if ((msg.retry_after_ms || 0) <= 5000) self.busyFor = msg.retry_after_ms || 1000; else self.throttled = msg;
      }
      if ((msg.type === "ack" || msg.type === "error") && msg.id && self.pending[msg.id]) {
        var p = self.pending[msg.id]; delete self.pending[msg.id];
        if (msg.type === "ack" && p.ack) p.ack(msg);
        if (msg.type === "error" && p.error) p.error(msg);
      }
      self.handlers.message(msg);
    };
    ws.onclose = function (ev) {
      if (self.ws !== ws) return;
      self.ws = null; self.welcomed = false; self.pending = {};
      if (ev.code === 4003) { self.stopped = true; self.handlers.state("failed"); return; }
      if (self.throttled) { self.stopped = true; self.handlers.state("throttled", self.throttled); return; }
      if (ev.code === 4009) { self.stopped = true; self.handlers.state("replaced"); return; }
      var busy = self.busyFor; self.busyFor = 0;
      self.retry(busy ? busy : ev.code === 4008 ? 10000 : 0);
    };
  };
  Connection.prototype.retry = function (minimum) {
    var self = this;
    if (self.stopped) return;
    self.attempts += 1;
    self.handlers.state("reconnecting");
    var delay = Math.max(minimum, Math.min(10000, 300 * Math.pow(2, self.attempts - 1)) * (0.8 + Math.random() * 0.4));
    setTimeout(function () { self.open(); }, delay);
  };
  Connection.prototype.send = function (msg) {
    if (!this.ws || this.ws.readyState !== 1 || !this.welcomed) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  };
  Connection.prototype.request = function (msg, onAck, onError) {
    this.counter += 1;
    msg.id = msg.id || ("q" + this.counter + "-" + Math.random().toString(36).slice(2, 6));
    this.pending[msg.id] = { ack: onAck, error: onError };
    return this.send(msg);
  };
  Connection.prototype.close = function () { this.stopped = true; if (this.ws) this.ws.close(1000, "signed out"); };

  /** The sign-in form; calls onSubmit(login, secret). */
  function signInForm(T, onSubmit) {
    var login = el("input", { id: "login", name: "login", autocomplete: "username", required: true, class: "input" });
    var secret = el("input", { id: "secret", name: "secret", type: "password", autocomplete: "current-password", required: true, class: "input" });
    var error = el("p", { class: "form-error", role: "alert", hidden: true });
    var button = el("button", { type: "submit", class: "button primary", text: T.signIn });
    var form = el("form", { class: "signin-card", "aria-labelledby": "signin-title" }, [
      el("div", { class: "brand" }, [el("span", { class: "brand-mark", "aria-hidden": "true" }), "Switchboard"]),
      el("h1", { id: "signin-title", text: T.signInTitle }),
      el("p", { class: "muted", text: T.signInHint }),
      el("label", { for: "login", text: T.login }), login,
      el("label", { for: "secret", text: T.secret }), secret,
      error, button,
      el("p", { class: "lang-switch" }, [el("a", { href: "?lang=ko", text: "한국어" }), " · ", el("a", { href: "?lang=en", text: "English" })]),
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!login.value.trim() || !secret.value) { error.textContent = T.required; error.hidden = false; return; }
      error.hidden = true;
      button.disabled = true;
      onSubmit(login.value.trim(), secret.value, function (text) { error.textContent = text; error.hidden = false; button.disabled = false; secret.focus(); });
    });
    setTimeout(function () { login.focus(); }, 0);
    return el("div", { class: "signin" }, [form]);
  }

  function formatDuration(ms, lang) {
    if (ms === null || ms === undefined) return "–";
    // Tenths below 10 s: short waits are what chat is about, "0초" would hide them.
    if (ms < 9950) return (Math.round(ms / 100) / 10).toFixed(1) + (lang === "ko" ? "초" : " s");
    var s = Math.round(ms / 1000);
    if (s < 60) return s + (lang === "ko" ? "초" : " s");
    var m = Math.floor(s / 60), r = s % 60;
    if (m < 60) return m + (lang === "ko" ? "분 " : " min ") + (r ? r + (lang === "ko" ? "초" : " s") : "");
    return Math.floor(m / 60) + (lang === "ko" ? "시간 " : " h ") + (m % 60) + (lang === "ko" ? "분" : " min");
  }
  function timeOf(ts) { return new Date(ts).toLocaleTimeString(lang === "ko" ? "ko-KR" : "en-US", { hour: "numeric", minute: "2-digit" }); }

  window.Staff = { lang: lang, el: el, svg: svg, clear: clear, announce: announce, Connection: Connection, signInForm: signInForm,
    formatDuration: formatDuration, timeOf: timeOf };
})();
