// The customer phone of Hub's sandbox. Runs under a strict Content-Security-Policy: no inline
// script or style, and every text from the server is written with textContent, never as HTML.
"use strict";

(() => {
  const page = document.body;
  const thread = document.getElementById("thread");
  const notice = document.getElementById("notice");
  const composer = document.getElementById("composer");
  const textInput = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const customerInput = document.getElementById("customer");
  const nameInput = document.getElementById("name");
  const storageKey = "hub-sandbox-phone-" + page.dataset.channel;
  const POLL_MS = 1000;
  const OUT_STATUS = { accepted: "🕓", sent: "✓ sent", delivered: "✓✓ delivered", read: "✓✓ read", failed: "⚠ failed" };
  const IN_STATUS = {
    sending: "… sending", delivered: "✓ Hub got it", unreachable: "⚠ Hub unreachable",
    answered: "✓ Hub got it · answered", paid: "✓ payment approved", declined: "⚠ payment declined",
  };

  const view = { after: 0, bubbles: new Map(), customer: "", composing: false, sending: false };

  function load() {
    let saved = {};
    try {
      saved = JSON.parse(window.localStorage.getItem(storageKey) || "{}") || {};
    } catch (error) {
      saved = {};
    }
    customerInput.value = saved.customer || page.dataset.customer || "";
    nameInput.value = saved.name || page.dataset.name || "";
    view.customer = customerInput.value.trim();
  }

  function save() {
    try {
      const value = { customer: customerInput.value.trim(), name: nameInput.value.trim() };
      window.localStorage.setItem(storageKey, JSON.stringify(value));
    } catch (error) {
      // private browsing: the page still works, it just forgets
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(raw) {
    if (!raw) return null;
    try {
      const url = new URL(raw, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function link(className, text, raw) {
    const url = safeUrl(raw);
    const node = el(url ? "a" : "span", className, text);
    if (url) {
      node.href = url;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    }
    return node;
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = false;
  }

  function hideNotice() {
    notice.hidden = true;
    notice.textContent = "";
  }

  function reason(data, status) {
    const detail = data && data.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((item) => item.msg || String(item)).join("; ");
    return "HTTP " + status;
  }

  function statusLabel(record) {
    if (record.direction === "out") return OUT_STATUS[record.status] || record.status;
    if (record.status.startsWith("refused")) return "⚠ Hub " + record.status;
    return IN_STATUS[record.status] || record.status;
  }

  function renderMedia(bubble, media) {
    const url = safeUrl(media.url);
    if (url && (media.type === "image" || media.type === "photo")) {
      const image = el("img", "media");
      image.src = url;
      image.alt = media.name || media.type;
      image.loading = "lazy";
      image.referrerPolicy = "no-referrer";
      bubble.append(image);
    }
    const label = "📎 " + media.type + ": " + (media.name || media.url || "uploaded file");
    bubble.append(link("media-link", label, media.url));
  }

  function renderButtons(bubble, record) {
    const box = record.list_label ? el("details", "list") : el("div", "buttons");
    if (record.list_label) box.append(el("summary", null, "☰ " + record.list_label));
    for (const button of record.buttons) {
      if (button.kind === "url") {
        box.append(link("button", "↗ " + button.title, button.url));
        continue;
      }
      const node = el("button", button.kind === "pay" ? "button pay" : "button", button.title);
      node.type = "button";
      if (button.description) node.append(el("small", null, button.description));
      node.addEventListener("click", () => {
        send({ button_id: button.id, reply_to: record.provider_message_id });
      });
      box.append(node);
    }
    bubble.append(box);
  }

  function render(record) {
    const bubble = el("article", "bubble " + (record.direction === "out" ? "shop" : "customer"));
    const invoice = record.kind === "invoice";  // Telegram draws an invoice: title, description, total, Pay
    if (invoice) bubble.classList.add("invoice");
    if (record.header) bubble.append(el("p", "header", record.header));
    for (const media of record.media || []) renderMedia(bubble, media);
    if (record.text) bubble.append(el("p", "text", record.text));
    if (record.footer) bubble.append(el("p", invoice ? "amount" : "footer", record.footer));
    if (record.buttons && record.buttons.length) renderButtons(bubble, record);
    const time = new Date(record.at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    bubble.append(el("p", "meta", time + " · " + statusLabel(record)));
    return bubble;
  }

  function upsert(record) {
    const node = render(record);
    const existing = view.bubbles.get(record.seq);
    if (existing) {
      const open = existing.querySelector("details[open]");
      const details = node.querySelector("details");
      if (open && details) details.open = true;
      existing.replaceWith(node);
    } else {
      const later = [...view.bubbles.entries()].filter(([seq]) => seq > record.seq).sort((a, b) => a[0] - b[0]);
      if (later.length) thread.insertBefore(node, later[0][1]);
      else thread.append(node);
    }
    view.bubbles.set(record.seq, node);
  }

  function reset() {
    view.after = 0;
    view.bubbles.clear();
    thread.replaceChildren();
  }

  async function poll() {
    const customer = view.customer;
    const url = page.dataset.messagesUrl + "?after=" + view.after + "&customer=" + encodeURIComponent(customer);
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      const data = await answer.json().catch(() => ({}));
      if (!answer.ok) {
        showNotice(reason(data, answer.status));
        return;
      }
      if (customer !== view.customer) return;
      const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
      for (const record of data.messages) {
        upsert(record);
        view.after = Math.max(view.after, record.rev);
      }
      if (atBottom && data.messages.length) thread.scrollTop = thread.scrollHeight;
    } catch (error) {
      showNotice("The sandbox is not reachable: " + error.message);
    }
  }

  async function loop() {
    await poll();
    window.setTimeout(loop, POLL_MS);
  }

  async function send(payload) {
    const body = Object.assign({ from: customerInput.value.trim(), name: nameInput.value.trim() }, payload);
    try {
      const answer = await fetch(page.dataset.sendUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      const data = await answer.json().catch(() => ({}));
      if (!answer.ok) showNotice(reason(data, answer.status));
      else if (!data.ok) showNotice("Hub answered " + (data.hub_status === null ? "nothing" : data.hub_status) + " at " + data.webhook_url);
      else hideNotice();
      await poll();
      return answer.ok;
    } catch (error) {
      showNotice("The sandbox is not reachable: " + error.message);
      return false;
    }
  }

  function resize() {
    const lines = textInput.value.split("\n").length;
    textInput.rows = Math.min(Math.max(lines, 1), 5);
  }

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textInput.value;
    if (!text.trim() || view.sending) return;
    view.sending = true;
    sendButton.disabled = true;
    const sent = await send({ text: text });
    if (sent) {
      textInput.value = "";
      resize();
    }
    view.sending = false;
    sendButton.disabled = false;
    textInput.focus();
  });

  // Chinese and Japanese input methods use Enter to pick a candidate: never send then.
  // Safari ends the composition before the keydown, which then reports keyCode 229.
  textInput.addEventListener("compositionstart", () => {
    view.composing = true;
  });
  textInput.addEventListener("compositionend", () => {
    view.composing = false;
  });
  textInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey) return;
    if (event.isComposing || view.composing || event.keyCode === 229) return;
    event.preventDefault();
    composer.requestSubmit();
  });
  textInput.addEventListener("input", resize);

  customerInput.addEventListener("change", () => {
    view.customer = customerInput.value.trim();
    save();
    reset();
    poll();
  });
  nameInput.addEventListener("change", save);

  load();
  loop();
})();
