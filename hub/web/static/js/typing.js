// "typing…" under the open thread while the web chat visitor writes; it goes away by itself.

import { t } from "./i18n.js";

const SHOWN_MS = 6000;  // the widget tells at most every 3 s: two missed ticks and the visitor has stopped

export class VisitorTyping {
  constructor(element) {
    this.element = element;
    this.timer = null;
  }

  show() {
    clearTimeout(this.timer);
    this.element.textContent = t("visitor_typing");
    this.element.hidden = false;
    this.timer = setTimeout(() => this.hide(), SHOWN_MS);
  }

  hide() {
    clearTimeout(this.timer);
    this.timer = null;
    this.element.hidden = true;
  }
}
