// The composer: a reply on the customer's channel or a private note; "/" searches canned replies. Other
// packages add tools beside Send (catalog: products and payment links) as the "composer.tools" part.

import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { part } from "./parts.js";

function newKey() {
  return globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export class Composer {
  constructor(form, { onSent, readOnly = false }) {
    this.readOnly = readOnly;  // a marketer allowed to read transcripts never answers
    this.form = form;
    this.text = form.querySelector("#composer-text");
    this.send = form.querySelector("#composer-send");
    this.notice = form.querySelector("#window-notice");
    this.error = form.querySelector("#composer-error");
    this.popup = form.querySelector("#canned");
    this.onSent = onSent;
    this.tools = [];
    this.detail = null;
    this.canned = null;
    this.matches = [];
    this.active = 0;
    this.key = newKey();
    form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    form.querySelectorAll('input[name="mode"]').forEach((radio) => radio.addEventListener("change", () => this.refresh()));
    this.text.addEventListener("input", () => { this.search(); this.typing(); });
    this.typedAt = 0;
    this.text.addEventListener("keydown", (event) => this.keydown(event));
    this.text.addEventListener("blur", () => setTimeout(() => this.closePopup(), 150));
    const Tools = part("composer.tools");  // each a class(form, composer): refresh(), close()
    if (Tools) this.tools.push(new Tools(form, this));
  }

  get mode() {
    return this.form.querySelector('input[name="mode"]:checked').value;
  }

  setMode(mode) {
    this.form.querySelector(`input[name="mode"][value="${mode}"]`).checked = true;
    this.refresh();
  }

  show(detail) {
    const changed = !this.detail || this.detail.conversation.id !== detail.conversation.id;
    this.detail = detail;
    if (changed) {
      this.text.value = "";
      this.key = newKey();
      this.error.textContent = "";
      this.tools.forEach((tool) => tool.close());
    }
    this.refresh();
  }

  /** Why a reply cannot go now (shown before typing): the customer's STOP, or the channel's closed window. */
  get blocked() {
    if (!this.detail || this.mode !== "reply") return null;
    const consent = this.detail.consent;
    if (consent && consent.blocks_replies) return { kind: "consent", text: t("consent_blocked", { channel: this.detail.channel.name }) };
    const window = this.detail.reply_window;
    if (window && window.closed) return { kind: "window", text: t("window_closed", { hours: window.hours }) };
    return null;
  }

  refresh() {
    const blocked = this.blocked;
    const consent = this.detail ? this.detail.consent : null;
    const info = !blocked && this.mode === "reply" && consent && consent.status === "opted_out"
      ? t("consent_marketing_off") : null;  // e.g. WhatsApp: replies still go, broadcasts do not
    this.notice.hidden = !blocked && !info;
    this.notice.textContent = blocked ? blocked.text : info || "";
    this.notice.dataset.kind = blocked ? blocked.kind : "info";
    const closed = Boolean(blocked);
    this.text.disabled = closed || !this.detail || this.readOnly;
    this.send.disabled = closed || !this.detail || this.readOnly;
    this.send.textContent = this.mode === "note" ? t("add_note") : t("send");
    this.text.placeholder = this.mode === "note" ? t("note_placeholder") : t("reply_placeholder");
    this.form.classList.toggle("is-note", this.mode === "note");
    this.tools.forEach((tool) => tool.refresh());
  }

  /** Whether a reply may go now (a tool's messages are replies): not in note mode, not for a reader, not when
   * the customer's STOP or the channel's window blocks it. */
  get canReply() {
    return Boolean(this.detail) && !this.readOnly && this.mode === "reply" && !this.blocked;
  }

  focus(prefix = "") {
    if (this.text.disabled) return;
    if (prefix && !this.text.value) this.text.value = prefix;
    this.text.focus();
    if (prefix) this.search();
  }

  /** On web chat, the visitor sees "… is typing" while a reply is written (told at most every 3 seconds). */
  typing() {
    if (!this.detail || this.mode !== "reply" || this.detail.channel.kind !== "webchat" || !this.text.value.trim()) return;
    if (this.text.value.startsWith("/")) return;  // searching canned replies is not typing to the customer
    const now = Date.now();
    if (now - this.typedAt < 3000) return;
    this.typedAt = now;
    api(`/api/v1/conversations/${this.detail.conversation.id}/typing`, { method: "POST" }).catch(() => {});
  }

  async submit() {
    const text = this.text.value;
    if (!this.detail || !text.trim()) return;
    const id = this.detail.conversation.id;
    this.send.disabled = true;
    this.error.textContent = "";
    try {
      if (this.mode === "note") {
        await api(`/api/v1/conversations/${id}/notes`, { method: "POST", body: { text } });
      } else {
        await api(`/api/v1/conversations/${id}/messages`, { method: "POST", body: { text }, headers: { "Idempotency-Key": this.key } });
      }
      // only what was sent is cleared: the live event may have drawn the message before this answer came, and
      // the agent may already be typing the next one
      if (this.text.value === text) this.text.value = "";
      this.key = newKey();
      this.onSent(id);
    } catch (error) {
      this.error.textContent = error.message;
    } finally {
      this.refresh();
    }
  }

  keydown(event) {
    if (!this.popup.hidden) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.active = (this.active + step + this.matches.length) % this.matches.length;
        this.drawPopup();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        this.choose(this.matches[this.active]);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        this.closePopup();
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.submit();
    } else if (event.key === "Escape") {
      this.text.blur();
    }
  }

  async search() {
    const found = /^\/(\S*)$/.exec(this.text.value);
    if (!found) {
      this.closePopup();
      return;
    }
    if (this.canned === null) {
      this.canned = [];
      try {
        this.canned = await api("/api/v1/canned-replies");
      } catch {
        this.canned = null;
      }
    }
    const wanted = found[1].toLowerCase();
    this.matches = (this.canned || []).filter((reply) =>
      [reply.shortcut, reply.title, reply.text].some((field) => field.toLowerCase().includes(wanted))).slice(0, 8);
    this.active = 0;
    this.drawPopup();
  }

  drawPopup() {
    clear(this.popup);
    this.popup.hidden = false;
    this.text.setAttribute("aria-expanded", "true");
    if (!this.matches.length) {
      this.popup.append(h("li", { class: "canned-empty", text: t("no_canned") }));
      return;
    }
    this.matches.forEach((reply, index) => {
      const id = `canned-${reply.id}`;
      if (index === this.active) this.text.setAttribute("aria-activedescendant", id);
      this.popup.append(h("li", {
        id, role: "option", class: index === this.active ? "is-active" : "", "aria-selected": String(index === this.active),
        onmousedown: (event) => { event.preventDefault(); this.choose(reply); },
      }, h("strong", { text: `/${reply.shortcut}` }), " ", h("span", { text: reply.title || "" }),
      h("span", { class: "canned-text", text: reply.text })));  // what will be sent (before its placeholders are filled)
    });
  }

  closePopup() {
    this.popup.hidden = true;
    this.text.setAttribute("aria-expanded", "false");
    this.text.removeAttribute("aria-activedescendant");
  }

  async choose(reply) {
    if (!reply || !this.detail) return;
    this.closePopup();
    try {
      const filled = await api(`/api/v1/canned-replies/${reply.id}/render`, { method: "POST", body: { conversation_id: this.detail.conversation.id } });
      this.text.value = filled.text;
    } catch (error) {
      this.error.textContent = error.message;
    }
    this.text.focus();
  }
}
