// Keyboard shortcuts (listed on the "?" overlay): j/k move, r reply, n note, e resolve, / canned replies, c contact.

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export class Help {
  constructor(overlay, button) {
    this.overlay = overlay;
    this.button = button;
    this.returnTo = null;
    button.addEventListener("click", () => this.open());
    overlay.querySelector("[data-close]").addEventListener("click", () => this.close());
    overlay.addEventListener("click", (event) => { if (event.target === overlay) this.close(); });
  }

  get isOpen() {
    return !this.overlay.hidden;
  }

  open() {
    this.returnTo = document.activeElement;
    this.overlay.hidden = false;
    this.overlay.querySelector("[data-close]").focus();
  }

  close() {
    this.overlay.hidden = true;
    if (this.returnTo instanceof HTMLElement) this.returnTo.focus();
  }
}

export function bindKeys(actions, help) {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (help.isOpen) help.close();
      else if (typing(event.target)) event.target.blur();  // back to the shortcuts
      else actions.escape();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target) || help.isOpen) return;
    const handler = {
      j: actions.next, k: actions.previous, r: actions.reply, n: actions.note, e: actions.resolve,
      "/": actions.canned, c: actions.contact, "?": () => help.open(),
    }[event.key];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });
}

/** Another package's shortcut (catalog's p), under the same rules: not while typing, not over the list of keys. */
export function shortcut(key, handler) {
  document.addEventListener("keydown", (event) => {
    if (event.key !== key || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const help = document.getElementById("help");
    if (help && !help.hidden) return;
    event.preventDefault();
    handler();
  });
}
