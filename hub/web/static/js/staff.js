// What an agent expects of an inbox: an online/away switch that assignment respects, desktop notifications
// with a sound for new messages in conversations assigned to them, the unread count in the tab title, undo
// after resolving, and the countdown to the first-response deadline.

import { api } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";

/** The online/away switch: POST /api/v1/agents/me/presence (away hands your policy-given conversations on). */
export class Presence {
  constructor(button, online, onError) {
    this.button = button;
    this.online = online;
    this.onError = onError;
    button.hidden = false;
    button.addEventListener("click", () => this.set(!this.online));
    this.draw();
  }

  draw() {
    this.button.textContent = this.online ? t("presence_online") : t("presence_away");
    this.button.setAttribute("aria-pressed", String(this.online));
    this.button.title = this.online ? t("presence_online_hint") : t("presence_away_hint");
    this.button.dataset.state = this.online ? "online" : "away";
  }

  async set(online) {
    try {
      await api("/api/v1/agents/me/presence", { method: "POST", body: { online } });
      this.online = online;
      this.draw();
    } catch (error) {
      this.onError(error.message);
    }
  }
}

const NOTIFY_KEY = "hub:notify";

/** Desktop notifications and a short sound; permission is asked once, on the agent's own click. */
export class Notifier {
  constructor(button) {
    this.button = button;
    this.supported = "Notification" in window;
    button.hidden = false;
    button.addEventListener("click", () => this.toggle());
    this.draw();
  }

  get on() {
    try { return localStorage.getItem(NOTIFY_KEY) !== "off"; } catch { return true; }
  }

  async toggle() {
    const next = !this.on;
    try { localStorage.setItem(NOTIFY_KEY, next ? "on" : "off"); } catch { /* private mode: this page only */ }
    if (next && this.supported && Notification.permission === "default") await Notification.requestPermission();
    this.draw();
  }

  draw() {
    const on = this.on;
    this.button.textContent = on ? t("notify_on") : t("notify_off");
    this.button.setAttribute("aria-pressed", String(on));
  }

  /** Ask once, on the first click anywhere, while notifications are on and the browser has not been asked. */
  askOnFirstClick() {
    if (!this.supported || Notification.permission !== "default" || !this.on) return;
    document.addEventListener("click", () => {
      if (Notification.permission === "default" && this.on) Notification.requestPermission().then(() => this.draw());
    }, { once: true });
  }

  beep() {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      const audio = this.audio || (this.audio = new Context());
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.3);
    } catch { /* no sound, the notification still shows */ }
  }

  /** A new customer message in a conversation assigned to me. */
  notify(row, onOpen) {
    if (!this.on) return;
    this.beep();
    if (!this.supported || Notification.permission !== "granted") return;
    const name = row.contact_name || t("unnamed_contact");
    const note = new Notification(t("notify_title", { name }), {
      body: row.preview ? row.preview.text : "", tag: `hub-conversation-${row.id}`,
    });
    note.onclick = () => { window.focus(); onOpen(row.id); note.close(); };
  }
}

/** "(3) Inbox": how many conversations in the list have unread messages. */
export function titleCount(rows, base) {
  const unread = rows.filter((row) => row.unread_count > 0).length;
  document.title = unread ? `(${unread}) ${base}` : base;
}

/** "Resolved. Undo" for a few seconds after resolving. */
export class Undo {
  constructor(root, seconds = 8) {
    this.root = root;
    this.seconds = seconds;
    this.timer = null;
    this.action = null;
    this.button = $("#undo-button", root);
    this.button.addEventListener("click", () => {
      const action = this.action;
      this.hide();
      if (action) action();
    });
  }

  show(text, action) {
    clearTimeout(this.timer);
    this.action = action;
    this.button.hidden = !action;  // a plain confirmation when there is nothing to undo
    $("#undo-text", this.root).textContent = text;
    this.root.hidden = false;
    this.timer = setTimeout(() => this.hide(), this.seconds * 1000);
  }

  hide() {
    clearTimeout(this.timer);
    this.root.hidden = true;
    this.action = null;
  }
}

/** The countdown to the first-response deadline, redrawn every 15 seconds. */
export class Due {
  constructor(node) {
    this.node = node;
    this.at = null;
    setInterval(() => this.draw(), 15000);
  }

  show(iso) {
    this.at = iso ? new Date(iso) : null;
    this.draw();
  }

  draw() {
    if (!this.at) {
      this.node.hidden = true;
      return;
    }
    const minutes = Math.round((this.at.getTime() - Date.now()) / 60000);
    const late = minutes < 0;
    const span = Math.abs(minutes);
    const amount = span >= 60 ? t("due_hours", { hours: Math.floor(span / 60), minutes: span % 60 }) : t("due_minutes", { minutes: span });
    this.node.textContent = late ? t("due_late", { amount }) : t("due_in", { amount });
    this.node.dataset.state = late ? "late" : minutes <= 5 ? "soon" : "ok";
    this.node.hidden = false;
  }
}
