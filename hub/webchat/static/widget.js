/*
 * Hub web chat widget. Embed with:
 *   <script src="https://hub.example/widget.js" data-channel="5" async></script>
 * Optional: data-user-id, data-user-name, data-user-signature (see hub/webchat/PROTOCOL.md), data-title.
 *
 * Works under a strict Content-Security-Policy: no inline scripts or styles, no eval; every node is
 * created with the DOM, styled through element.style, and every text goes in through textContent.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-channel][src*='widget.js']");
  if (!script) return;
  var channelId = script.getAttribute("data-channel");
  if (!channelId || !/^\d+$/.test(channelId)) return;
  var hub = new URL(script.src, window.location.href);
  var registry = (window.__hubWebchat = window.__hubWebchat || {});
  if (registry[hub.host + "/" + channelId]) return; // the same widget included twice
  registry[hub.host + "/" + channelId] = true;

  var TEXT_LIMIT = 4000;
  var WS_URL = (hub.protocol === "https:" ? "wss://" : "ws://") + hub.host + "/webchat/" + channelId + "/ws";
  var user = null;
  if (script.getAttribute("data-user-id")) {
    user = {
      user_id: script.getAttribute("data-user-id"),
      name: script.getAttribute("data-user-name") || null,
      signature: script.getAttribute("data-user-signature") || null
    };
  }
  var lang = (navigator.language || "en").toLowerCase();
  var WORDS = {
    en: { title: "Chat with us", placeholder: "Type a message…", send: "Send", open: "Open chat",
      close: "Close chat", offline: "Reconnecting…", unavailable: "Chat is not available on this page.",
      failed: "Not sent: ", slow: "Too many messages; please wait a minute.", typing: "{name} is typing…",
      someone: "The shop" },
    ja: { title: "お問い合わせ", placeholder: "メッセージを入力…", send: "送信", open: "チャットを開く",
      close: "チャットを閉じる", offline: "再接続中…", unavailable: "このページではチャットを利用できません。",
      failed: "送信できませんでした：", slow: "送信が多すぎます。1分ほどお待ちください。", typing: "{name}が入力中…",
      someone: "ショップ" },
    zh: { title: "聯絡我們", placeholder: "輸入訊息…", send: "傳送", open: "開啟對話", close: "關閉對話",
      offline: "重新連線中…", unavailable: "此頁面無法使用對話功能。", failed: "未能傳送：",
      slow: "訊息太多，請稍候一分鐘。", typing: "{name} 正在輸入…", someone: "商店" }
  };
  var words = WORDS[lang.slice(0, 2)] || WORDS.en;
  var clockFormat = null;
  try { clockFormat = new Intl.DateTimeFormat(navigator.language || "en", { hour: "2-digit", minute: "2-digit" }); }
  catch (e) { clockFormat = null; }
  function clock(iso) {
    var date = iso ? new Date(iso) : new Date();
    if (isNaN(date.getTime())) return "";
    return clockFormat ? clockFormat.format(date) : date.toTimeString().slice(0, 5);
  }
  var title = script.getAttribute("data-title") || words.title;

  // ---- storage: the session token and unsent messages survive reloads (a reload shows the history again) ----
  var storeKey = "hubchat:" + hub.host + ":" + channelId + ":" + (user ? "u:" + user.user_id : "anon");
  var memory = {};
  function load() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return memory; }
  }
  function save() {
    memory = { token: state.token, outbox: outboxFrames() };
    try { window.localStorage.setItem(storeKey, JSON.stringify(memory)); } catch (e) { /* private mode */ }
  }
  var saved = load();
  var state = {
    token: saved.token || null, lastId: null, // the newest message id shown: a reconnect catches up after it
    socket: null, attempts: 0, timer: null, ping: null, open: false, stopped: false, unread: 0
  };
  var outbox = {}; // client_id -> {frame, node}
  var shown = {}; // message id -> node
  var readSent = {};
  function outboxFrames() {
    return Object.keys(outbox).map(function (id) { return outbox[id].frame; });
  }

  // ---- DOM ----
  function el(tag, styles, text) {
    var node = document.createElement(tag);
    if (styles) Object.keys(styles).forEach(function (k) { node.style[k] = styles[k]; });
    if (text != null) node.textContent = text;
    return node;
  }
  function safeUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) { return null; }
  }
  function chatIcon() { // an SVG drawn with the DOM: no emoji font needed, nothing inline for the CSP to refuse
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "#fff");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    svg.style.display = "block";
    svg.style.margin = "auto";
    return svg;
  }
  var FONT = "system-ui, -apple-system, 'Segoe UI', 'Hiragino Sans', 'PingFang TC', 'Noto Sans CJK JP', sans-serif";
  var ACCENT = "#1f6feb";
  var root = el("div", { position: "fixed", zIndex: "2147483000", fontFamily: FONT, fontSize: "15px",
    lineHeight: "1.45", color: "#1f2328" });
  var bubble = el("button", { position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px",
    borderRadius: "50%", border: "none", background: ACCENT, color: "#fff", fontSize: "26px", cursor: "pointer",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", zIndex: "2147483000", padding: "0" });
  bubble.type = "button";
  bubble.appendChild(chatIcon());
  bubble.setAttribute("aria-label", words.open);
  var badge = el("span", { position: "absolute", top: "-2px", right: "-2px", minWidth: "20px", height: "20px",
    borderRadius: "10px", background: "#d1242f", color: "#fff", fontSize: "12px", lineHeight: "20px",
    display: "none", padding: "0 5px", boxSizing: "border-box" });
  bubble.appendChild(badge);

  var panel = el("div", { position: "fixed", display: "none", flexDirection: "column", background: "#fff",
    boxShadow: "0 8px 30px rgba(0,0,0,.25)", overflow: "hidden", zIndex: "2147483001", boxSizing: "border-box" });
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var header = el("div", { display: "flex", alignItems: "center", justifyContent: "space-between",
    padding: "12px 14px", background: ACCENT, color: "#fff", fontWeight: "600" });
  header.appendChild(el("span", null, title));
  var closeButton = el("button", { background: "transparent", border: "none", color: "#fff", fontSize: "22px",
    cursor: "pointer", lineHeight: "1", padding: "0 4px" }, "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", words.close);
  header.appendChild(closeButton);
  var notice = el("div", { display: "none", padding: "6px 12px", background: "#fff8c5", fontSize: "13px" });
  var list = el("div", { flex: "1", overflowY: "auto", padding: "12px", background: "#f6f8fa",
    display: "flex", flexDirection: "column", gap: "8px" });
  list.setAttribute("aria-live", "polite");
  var typingLine = el("div", { display: "none", padding: "2px 12px 4px", fontSize: "12px", color: "#57606a",
    background: "#f6f8fa", fontStyle: "italic" });
  typingLine.setAttribute("data-hub", "typing");
  typingLine.setAttribute("aria-live", "polite");
  var form = el("div", { display: "flex", gap: "8px", padding: "10px", borderTop: "1px solid #d0d7de",
    alignItems: "flex-end", background: "#fff" });
  var input = el("textarea", { flex: "1", resize: "none", border: "1px solid #d0d7de", borderRadius: "8px",
    padding: "8px", font: "inherit", fontSize: "16px", maxHeight: "120px", outline: "none", boxSizing: "border-box" });
  input.rows = 1;
  input.maxLength = TEXT_LIMIT;
  input.placeholder = words.placeholder;
  input.setAttribute("aria-label", words.placeholder);
  var sendButton = el("button", { border: "none", borderRadius: "8px", background: ACCENT, color: "#fff",
    padding: "9px 14px", cursor: "pointer", font: "inherit" }, words.send);
  sendButton.type = "button";
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(notice);
  panel.appendChild(list);
  panel.appendChild(typingLine);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(bubble);

  var narrow = window.matchMedia ? window.matchMedia("(max-width: 480px)") : null;
  function layout() {
    var full = narrow && narrow.matches;
    var styles = full
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { top: "auto", left: "auto", right: "20px", bottom: "88px", width: "360px", height: "520px",
        borderRadius: "12px" };
    Object.keys(styles).forEach(function (k) { panel.style[k] = styles[k]; });
    panel.style.maxHeight = full ? "100%" : "calc(100% - 110px)";
    bubble.style.display = full && state.open ? "none" : "block";
  }
  if (narrow) {
    if (narrow.addEventListener) narrow.addEventListener("change", layout);
    else if (narrow.addListener) narrow.addListener(layout);
  }

  function showNotice(text) {
    notice.textContent = text || "";
    notice.style.display = text ? "block" : "none";
  }
  function setUnread(count) {
    state.unread = count;
    badge.textContent = count > 9 ? "9+" : String(count);
    badge.style.display = count > 0 ? "block" : "none";
  }
  function scrollDown() { list.scrollTop = list.scrollHeight; }
  var typingTimer = null;
  function showTyping(name) {
    clearTimeout(typingTimer);
    if (name === null) { typingLine.style.display = "none"; return; }
    typingLine.textContent = words.typing.split("{name}").join(name || words.someone);
    typingLine.style.display = "block";
    typingTimer = setTimeout(function () { typingLine.style.display = "none"; }, 6000);
  }

  // ---- messages ----
  function visitorBubble(text, iso) {
    var row = el("div", { alignSelf: "flex-end", maxWidth: "80%", background: ACCENT, color: "#fff",
      borderRadius: "12px 12px 2px 12px", padding: "8px 10px", whiteSpace: "pre-wrap", overflowWrap: "anywhere" });
    row.setAttribute("data-hub", "visitor");
    row.appendChild(el("span", null, text));
    var time = el("time", { fontSize: "11px", opacity: "0.8", marginLeft: "6px" }, clock(iso));
    row.appendChild(time);
    row._time = time;
    var mark = el("span", { fontSize: "11px", opacity: "0.8", marginLeft: "4px" }, "…");
    row.appendChild(mark);
    row._mark = mark;
    return row;
  }
  function markSent(node) { if (node && node._mark) node._mark.textContent = "✓"; }

  function buttonsOf(buttons) {
    var box = el("div", { display: "flex", flexDirection: "column", gap: "6px", marginTop: "8px" });
    (buttons || []).forEach(function (button) {
      var look = { display: "block", textAlign: "center", padding: "7px 10px", borderRadius: "8px",
        border: "1px solid " + ACCENT, color: ACCENT, background: "#fff", cursor: "pointer", font: "inherit",
        textDecoration: "none" };
      if (button.type === "url") {
        var href = safeUrl(button.url);
        if (!href) return;
        var link = el("a", look, (button.title || href) + " ↗");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        box.appendChild(link);
      } else {
        var reply = el("button", look, button.title || "");
        reply.type = "button";
        if (button.description) reply.title = button.description;
        reply.addEventListener("click", function () { sendFrame("button", button.title, button.id); });
        box.appendChild(reply);
      }
    });
    return box;
  }

  function media(item) {
    var url = safeUrl(item.url);
    if (!url) return null;
    var node;
    if (item.type === "image") {
      node = el("img", { maxWidth: "100%", borderRadius: "8px", display: "block" });
      node.alt = "";
      node.src = url;
    } else if (item.type === "video" || item.type === "audio") {
      node = el(item.type, { maxWidth: "100%", display: "block" });
      node.controls = true;
      node.src = url;
    } else {
      node = el("a", { color: ACCENT }, "📎 " + (item.filename || url));
      node.href = url;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    }
    return node;
  }

  function product(item) {
    var box = el("div", { border: "1px solid #d0d7de", borderRadius: "8px", overflow: "hidden",
      background: "#fff", marginTop: "6px" });
    var image = safeUrl(item.image);
    if (image) {
      var img = el("img", { width: "100%", maxHeight: "180px", objectFit: "cover", display: "block" });
      img.alt = item.title || "";
      img.src = image;
      box.appendChild(img);
    }
    var body = el("div", { padding: "8px 10px" });
    body.appendChild(el("div", { fontWeight: "600" }, item.title || ""));
    if (item.price) body.appendChild(el("div", { color: "#1a7f37", fontWeight: "600" }, item.price));
    if (item.description) body.appendChild(el("div", { fontSize: "13px", color: "#57606a" }, item.description));
    var link = safeUrl(item.url);
    if (link) body.appendChild(buttonsOf([{ type: "url", url: link, title: item.title || link }]));
    if (item.buttons) body.appendChild(buttonsOf(item.buttons));
    box.appendChild(body);
    return box;
  }

  function shopBubble(card, author, iso) {
    var row = el("div", { alignSelf: "flex-start", maxWidth: "85%", background: "#fff", borderRadius: "12px 12px 12px 2px",
      padding: "8px 10px", boxShadow: "0 1px 2px rgba(0,0,0,.08)", whiteSpace: "pre-wrap", overflowWrap: "anywhere" });
    row.setAttribute("data-hub", "shop");
    card = card || {};
    if (author) {
      var who = el("div", { fontSize: "12px", fontWeight: "600", color: "#57606a", marginBottom: "2px" }, author);
      who.setAttribute("data-hub", "author");
      row.appendChild(who);
    }
    if (card.header) row.appendChild(el("div", { fontWeight: "600", marginBottom: "4px" }, card.header));
    if (card.media) { var m = media(card.media); if (m) row.appendChild(m); }
    if (card.text) row.appendChild(el("div", null, card.text));
    (card.products || []).forEach(function (item) { row.appendChild(product(item)); });
    if (card.footer) row.appendChild(el("div", { fontSize: "12px", color: "#57606a", marginTop: "4px" }, card.footer));
    if (card.buttons && card.buttons.length) {
      if (card.button_label) row.appendChild(el("div", { fontSize: "13px", color: "#57606a", marginTop: "6px" },
        card.button_label));
      row.appendChild(buttonsOf(card.buttons));
    }
    if (iso !== undefined) {
      var time = el("time", { display: "block", fontSize: "11px", color: "#57606a", marginTop: "4px", textAlign: "right" },
        clock(iso));
      if (iso) time.setAttribute("datetime", iso);
      row.appendChild(time);
    }
    return row;
  }

  // The channel's greeting, and its away message outside business hours: always first, never stored.
  var intro = {};
  function showIntro(kind, text) {
    if (intro[kind] && intro[kind].parentNode) intro[kind].parentNode.removeChild(intro[kind]);
    intro[kind] = null;
    if (!text) return;
    var node = shopBubble({ text: text });
    node.setAttribute("data-hub", kind);
    intro[kind] = node;
    var before = kind === "greeting" ? list.firstChild : (intro.greeting ? intro.greeting.nextSibling : list.firstChild);
    list.insertBefore(node, before);
  }

  function showMessage(message) {
    if (typeof message.id !== "number" || shown[message.id]) return;
    var node;
    if (message.direction === "inbound") {
      var pending = message.client_id && outbox[message.client_id];
      if (pending) {
        node = pending.node;
        delete outbox[message.client_id];
      } else {
        node = findPendingNode(message.client_id) || visitorBubble(message.text || "", message.created_at);
      }
      if (node._time && message.created_at) node._time.textContent = clock(message.created_at);
      markSent(node);
    } else {
      node = shopBubble(message.card, message.author, message.created_at || null);
    }
    shown[message.id] = node;
    if (!node.parentNode) list.appendChild(node);
    if (state.lastId === null || message.id > state.lastId) state.lastId = message.id;
    if (message.direction === "outbound") {
      if (message.status === "sent") receipt(message.id, "delivered");
      if (message.status !== "read") {
        readSent[message.id] = false;
        if (!state.open) setUnread(state.unread + 1);
      }
    }
  }
  var acked = {}; // client_id -> node, acked but not yet stored as a message
  function findPendingNode(clientId) {
    var node = clientId && acked[clientId];
    if (node) delete acked[clientId];
    return node || null;
  }

  function markRead() {
    if (!state.open || document.visibilityState === "hidden") return;
    Object.keys(readSent).forEach(function (id) {
      if (!readSent[id]) { readSent[id] = true; receipt(Number(id), "read"); }
    });
    setUnread(0);
  }

  // ---- the connection ----
  function send(frame) {
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function receipt(id, status) { send({ type: "receipt", id: id, status: status }); }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sendFrame(type, text, buttonId) {
    text = (text || "").slice(0, TEXT_LIMIT);
    if (type === "message" && !text.trim()) return;
    var frame = { type: type, client_id: newId(), text: text };
    if (type === "button") frame.button_id = buttonId;
    var node = visitorBubble(text);
    list.appendChild(node);
    outbox[frame.client_id] = { frame: frame, node: node };
    save();
    send(frame);
    scrollDown();
  }

  function connect() {
    if (state.stopped) return;
    clearTimeout(state.timer);
    var socket;
    try { socket = new WebSocket(WS_URL); } catch (e) { retry(); return; }
    state.socket = socket;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "hello", session_token: state.token, identity: user,
        last_id: state.lastId, locale: navigator.language || null }));
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      clearInterval(state.ping);
      if (state.socket !== socket) return;
      state.socket = null;
      if (event.code === 4403 || event.code === 4404) {
        state.stopped = true;
        showNotice(words.unavailable);
        return;
      }
      showNotice(event.code === 4429 ? words.slow : words.offline);
      retry(event.code === 4429 ? 60000 : null);
    };
  }
  function retry(delay) {
    var wait = delay || Math.min(30000, 1000 * Math.pow(2, state.attempts)) * (0.5 + Math.random() / 2);
    state.attempts += 1;
    state.timer = setTimeout(connect, wait);
  }

  function handle(frame) {
    if (frame.type === "welcome") {
      state.attempts = 0;
      showNotice("");
      if (frame.reset) {
        Object.keys(shown).forEach(function (id) {
          var node = shown[id];
          if (node.parentNode) node.parentNode.removeChild(node);
        });
        shown = {};
        readSent = {};
        state.lastId = null;
        setUnread(0);
      }
      state.token = frame.session_token;
      showIntro("greeting", frame.greeting);
      showIntro("away", frame.away);
      (frame.messages || []).forEach(showMessage);
      outboxFrames().forEach(send); // anything not acked before goes again; Hub drops repeats
      save();
      scrollDown();
      markRead();
      clearInterval(state.ping);
      state.ping = setInterval(function () { send({ type: "ping" }); }, 25000);
    } else if (frame.type === "ack") {
      var pending = outbox[frame.client_id];
      if (pending) {
        markSent(pending.node);
        acked[frame.client_id] = pending.node;
        delete outbox[frame.client_id];
        save();
      }
    } else if (frame.type === "typing") {
      showTyping(frame.author || "");
    } else if (frame.type === "message") {
      if (frame.direction === "outbound") showTyping(null);
      showMessage(frame);
      save();
      scrollDown();
      markRead();
    } else if (frame.type === "error") {
      if (frame.code === "rate_limited") showNotice(words.slow);
      var failed = frame.client_id && outbox[frame.client_id];
      if (failed && frame.code === "unavailable") {
        setTimeout(function () { if (outbox[frame.client_id]) send(outbox[frame.client_id].frame); }, 5000);
      } else if (failed) {
        failed.node._mark.textContent = "⚠";
        failed.node.title = words.failed + (frame.message || "");
        delete outbox[frame.client_id];
        save();
      }
    }
  }

  // ---- events ----
  function openPanel(open) {
    state.open = open;
    panel.style.display = open ? "flex" : "none";
    bubble.setAttribute("aria-label", open ? words.close : words.open);
    layout();
    if (open) { scrollDown(); markRead(); input.focus(); }
  }
  bubble.addEventListener("click", function () { openPanel(!state.open); });
  closeButton.addEventListener("click", function () { openPanel(false); bubble.focus(); });
  var composing = false;
  var typingToldAt = 0;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { setTimeout(function () { composing = false; }, 0); });
  function submit() {
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    grow();
    sendFrame("message", text);
    typingToldAt = 0;  // the next words are a new message: tell the shop at once
  }
  input.addEventListener("keydown", function (event) {
    // Enter also confirms a CJK conversion: only send when no composition is in progress.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !composing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  // The shop sees "typing…" while the visitor writes: told at most every 3 seconds, never with the text.
  function tellTyping() {
    var now = Date.now();
    if (!input.value.trim() || now - typingToldAt < 3000) return;
    if (send({ type: "typing" })) typingToldAt = now;
  }
  input.addEventListener("input", function () { grow(); tellTyping(); });
  sendButton.addEventListener("click", submit);
  document.addEventListener("visibilitychange", markRead);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.open) openPanel(false);
  });

  function start() {
    (document.body || document.documentElement).appendChild(root);
    layout();
    (saved.outbox || []).forEach(function (frame) {
      if (!frame || !frame.client_id) return;
      var node = visitorBubble(frame.text || "");
      list.appendChild(node);
      outbox[frame.client_id] = { frame: frame, node: node };
    });
    connect();
  }
  window.HubWebchat = { open: function () { openPanel(true); }, close: function () { openPanel(false); } };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
