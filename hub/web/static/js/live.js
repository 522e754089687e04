// The live connection: events for conversations this agent may see, and a catch-up after each reconnect.

export class Live {
  constructor({ onEvent, onCatchUp, onResync, onStatus }) {
    this.onEvent = onEvent;
    this.onCatchUp = onCatchUp;
    this.onResync = onResync;
    this.onStatus = onStatus;
    this.lastMessageId = null;
    this.lostAt = null;
    this.delay = 500;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/ws`);
    this.socket = socket;
    socket.addEventListener("message", (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      this.handle(frame);
    });
    socket.addEventListener("close", (closed) => {
      this.onStatus("offline");
      if (closed.code === 4401) {
        location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
        return;
      }
      if (!this.lostAt) this.lostAt = new Date().toISOString();
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  seen(messageId) {
    if (Number.isInteger(messageId) && (this.lastMessageId === null || messageId > this.lastMessageId)) {
      this.lastMessageId = messageId;
    }
  }

  handle(frame) {
    if (frame.type === "hello") {
      this.delay = 500;
      this.onStatus("live");
      if (this.lostAt) this.socket.send(JSON.stringify({ since: this.lastMessageId ?? this.lostAt }));
    } else if (frame.type === "event") {
      const data = frame.data || {};
      this.seen(data.message_id);
      this.onEvent(frame.event, data);
    } else if (frame.type === "catch_up") {
      this.lostAt = null;
      this.seen(frame.last_message_id);
      this.onCatchUp(frame);
    } else if (frame.type === "resync") {
      this.onResync();
    }
  }
}
