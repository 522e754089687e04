// The journeys editor's canvas: an SVG drawing of the flow (a box per step, an arrow per edge labelled with its
// port and how many runs took it). Steps are focusable: Tab to one, arrow keys move it (Shift: further), Enter
// opens its settings, Delete removes it. With a mouse: drag a step to move it, click a port's dot and then
// another step to connect them. Every text goes in with textContent.

import { t } from "./i18n.js";
import { portName, portsOf, reasonName, stepName, summary, triggerName } from "./journeys_model.js";

const SVG = "http://www.w3.org/2000/svg";
export const NODE_W = 210;
export const NODE_H = 86;
const STEP = 10;
const FAR = 50;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "class") el.setAttribute("class", value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

function clip(text, max) {
  const value = String(text || "").replace(/\s+/g, " ").trim();
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

function portX(node, index, count) {
  return node.position.x + (NODE_W * (index + 1)) / (count + 1);
}

/** The canvas of one editor: `handlers` has onSelect(id), onOpen(id), onMove(id, x, y, done), onDelete(id),
 * onConnect(from, port, to). */
export class Canvas {
  constructor(svg, hint, handlers) {
    this.svg = svg;
    this.hint = hint;
    this.handlers = handlers;
    this.nodesLayer = svg.querySelector("#nodes");
    this.edgesLayer = svg.querySelector("#edges");
    this.labelsLayer = svg.querySelector("#edge-labels");
    this.state = { definition: null, selected: null, problems: [], stats: null, locale: "en", readOnly: false };
    this.connecting = null;
    this.drag = null;
    svg.addEventListener("pointermove", (event) => this.pointerMove(event));
    svg.addEventListener("pointerup", (event) => this.pointerUp(event));
    svg.addEventListener("pointercancel", () => { this.drag = null; });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.connecting) this.stopConnecting();
    });
  }

  draw(state) {
    Object.assign(this.state, state);
    const { definition } = this.state;
    const focused = document.activeElement && this.svg.contains(document.activeElement)
      ? document.activeElement.dataset.id : null;
    this.nodesLayer.replaceChildren();
    this.edgesLayer.replaceChildren();
    this.labelsLayer.replaceChildren();
    if (!definition) return;
    const labels = [];
    const byId = new Map(definition.nodes.map((node) => [node.id, node]));
    for (const edge of definition.edges) {
      const from = byId.get(edge.from);
      const to = byId.get(edge.to);
      if (from && to) {
        const [line, label] = this.edge(from, edge.port, to);
        this.edgesLayer.append(line);
        labels.push(label);
      }
    }
    for (const node of definition.nodes) this.nodesLayer.append(this.node(node));
    this.labelsLayer.append(...labels);  // over the steps: a count stays readable where an arrow passes behind one
    this.resize();
    if (focused) this.focus(focused);
  }

  resize() {
    const nodes = this.state.definition.nodes;
    const width = Math.max(760, ...nodes.map((node) => node.position.x + NODE_W + 140));
    const height = Math.max(520, ...nodes.map((node) => node.position.y + NODE_H + 110));
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  }

  focus(id) {
    const el = this.element(id);
    if (el) el.focus();
  }

  element(id) {
    return [...this.nodesLayer.children].find((el) => el.dataset.id === id) || null;
  }

  problemsOf(id) {
    return this.state.problems.filter((problem) => problem.node_id === id);
  }

  node(node) {
    const { selected, stats, locale, definition } = this.state;
    const problems = this.problemsOf(node.id);
    const counts = stats && stats.nodes ? stats.nodes[node.id] : null;
    const ports = portsOf(node);
    const isStart = definition.start === node.id;
    const label = [stepName(node.type), summary(node, locale), isStart ? t("jr_start_step") : "",
      problems.length ? t("jr_node_problems", { count: problems.length }) : "",
      counts ? t("jr_node_entered", { count: counts.entered || 0 }) : ""].filter(Boolean).join(". ");
    const group = s("g", {
      class: `jr-node jr-type-${node.type}${selected === node.id ? " is-selected" : ""}${problems.length ? " has-problem" : ""}`,
      transform: `translate(${node.position.x} ${node.position.y})`, tabindex: 0, role: "button",
      "aria-label": label,
      "data-id": node.id, "data-type": node.type,
    });
    group.dataset.id = node.id;
    group.append(s("title", { text: label }));
    if (isStart) {
      group.append(s("rect", { class: "jr-trigger-pill", x: 0, y: -30, width: NODE_W, height: 24, rx: 12 }),
        s("text", { class: "jr-trigger-text", x: NODE_W / 2, y: -14, "text-anchor": "middle",
          text: clip(`▶ ${triggerName(definition.trigger.type)}`, 30) }),
        s("line", { class: "jr-trigger-line", x1: NODE_W / 2, y1: -6, x2: NODE_W / 2, y2: 0 }));
    }
    group.append(s("rect", { class: "jr-node-box", width: NODE_W, height: NODE_H, rx: 10 }),
      s("rect", { class: "jr-node-band", width: 6, height: NODE_H, rx: 3 }),
      s("text", { class: "jr-node-type", x: 16, y: 24, text: clip(stepName(node.type), 20) }),
      s("text", { class: "jr-node-id", x: NODE_W - 10, y: 24, "text-anchor": "end", text: node.id }),
      s("text", { class: "jr-node-summary", x: 16, y: 46, text: clip(summary(node, locale), 26) }));
    if (counts) {
      const waiting = counts.waiting ? ` · ${t("jr_waiting_n", { count: counts.waiting })}` : "";
      const skipped = Object.values(counts.skipped || {}).reduce((sum, n) => sum + n, 0);
      const skips = skipped ? ` · ${t("jr_skipped_n", { count: skipped })}` : "";
      group.append(s("text", { class: "jr-node-count", x: 16, y: 64,
        text: clip(`${t("jr_entered_n", { count: counts.entered || 0 })}${waiting}${skips}`, 34) },
        s("title", { text: Object.entries(counts.skipped || {}).map(([why, n]) => `${reasonName("jr_skip_", why)}: ${n}`).join(", ") })));
    }
    if (problems.length) {
      group.append(s("circle", { class: "jr-problem-dot", cx: NODE_W - 2, cy: 2, r: 10 }),
        s("text", { class: "jr-problem-mark", x: NODE_W - 2, y: 7, "text-anchor": "middle", text: "!" }));
    }
    ports.forEach((port, index) => {
      const x = portX(node, index, ports.length) - node.position.x;
      const passed = counts && counts.ports ? counts.ports[port] : undefined;
      if (ports.length > 1 || passed !== undefined) {
        const room = Math.max(4, Math.floor(NODE_W / ports.length / 6));
        const name = clip(portName(port), passed === undefined ? room : Math.max(3, room - String(passed).length - 1));
        group.append(s("text", { class: "jr-port-label", x, y: NODE_H - 9, "text-anchor": "middle",
          text: passed === undefined ? name : `${name} ${passed}` }));
      }
      const dot = s("circle", { class: "jr-port", cx: x, cy: NODE_H, r: 6, "data-port": port },
        s("title", { text: t("jr_connect_port", { port: portName(port) }) }));
      dot.addEventListener("pointerdown", (event) => {
        event.stopPropagation();
        if (!this.state.readOnly) this.startConnecting(node.id, port);
      });
      group.append(dot);
    });
    group.addEventListener("pointerdown", (event) => this.pointerDown(event, node));
    group.addEventListener("keydown", (event) => this.key(event, node));
    group.addEventListener("focus", () => { if (this.state.selected !== node.id) this.handlers.onSelect(node.id); });
    group.addEventListener("dblclick", () => this.handlers.onOpen(node.id));
    return group;
  }

  edge(from, port, to) {
    const ports = portsOf(from);
    const index = Math.max(0, ports.indexOf(port));
    const x1 = portX(from, index, ports.length);
    const y1 = from.position.y + NODE_H;
    const x2 = to.position.x + NODE_W / 2;
    const y2 = to.position.y - (this.state.definition.start === to.id ? 32 : 2);
    const bend = Math.max(40, Math.abs(y2 - y1) / 2);
    // downwards: an S curve; back up (a loop, or a step placed above): a bow out to the right of both steps
    const side = Math.max(from.position.x, to.position.x) + NODE_W + 60;
    const upward = y2 <= y1 + 20;
    const d = upward
      ? `M ${x1} ${y1} C ${x1} ${y1 + 70} ${side} ${y1 + 70} ${side} ${(y1 + y2) / 2} S ${x2} ${y2 - 70} ${x2} ${y2}`
      : `M ${x1} ${y1} C ${x1} ${y1 + bend} ${x2} ${y2 - bend} ${x2} ${y2}`;
    const counts = this.state.stats && this.state.stats.nodes && this.state.stats.nodes[from.id];
    const passed = counts && counts.ports ? counts.ports[port] : undefined;
    const text = passed === undefined ? portName(port) : `${portName(port)} · ${passed}`;
    const group = s("g", { class: `jr-edge jr-port-${port.replace(/[^\w-]/g, "_")}`, "data-from": from.id, "data-port": port, "data-to": to.id });
    const mx = upward ? side : (x1 + x2) / 2;
    const my = (y1 + y2) / 2;
    const width = Math.min(170, 14 + text.length * 7.2);
    group.append(s("path", { class: "jr-edge-line", d, "marker-end": "url(#arrow)" }));
    const label = s("g", { class: "jr-edge-label-group", "data-from": from.id, "data-port": port },
      s("rect", { class: "jr-edge-label-box", x: mx - width / 2, y: my - 10, width, height: 20, rx: 10 }),
      s("text", { class: "jr-edge-label", x: mx, y: my + 4, "text-anchor": "middle", text: clip(text, 24) }));
    return [group, label];
  }

  key(event, node) {
    if (event.target !== event.currentTarget) return;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      if (this.state.readOnly) return;
      const step = event.shiftKey ? FAR : STEP;
      const [dx, dy] = moves[event.key];
      this.handlers.onMove(node.id, Math.max(0, node.position.x + dx * step), Math.max(34, node.position.y + dy * step), true);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (this.connecting) this.finishConnecting(node.id);
      else this.handlers.onOpen(node.id);
    } else if ((event.key === "Delete" || event.key === "Backspace") && !this.state.readOnly) {
      event.preventDefault();
      this.handlers.onDelete(node.id);
    }
  }

  pointerDown(event, node) {
    if (event.button !== 0) return;
    if (this.connecting) {
      event.preventDefault();
      this.finishConnecting(node.id);
      return;
    }
    this.drag = { id: node.id, startX: event.clientX, startY: event.clientY, x: node.position.x, y: node.position.y, moved: false };
    if (!this.state.readOnly) this.svg.setPointerCapture(event.pointerId);
  }

  pointerMove(event) {
    if (!this.drag || this.state.readOnly) return;
    const dx = event.clientX - this.drag.startX;
    const dy = event.clientY - this.drag.startY;
    if (!this.drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    this.drag.moved = true;
    this.handlers.onMove(this.drag.id, Math.max(0, Math.round(this.drag.x + dx)), Math.max(34, Math.round(this.drag.y + dy)), false);
  }

  pointerUp() {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (drag.moved) {
      const node = this.state.definition.nodes.find((item) => item.id === drag.id);
      if (node) this.handlers.onMove(drag.id, node.position.x, node.position.y, true);
    } else {
      this.handlers.onOpen(drag.id);
    }
  }

  startConnecting(from, port) {
    this.connecting = { from, port };
    this.svg.classList.add("is-connecting");
    this.hint.textContent = t("jr_connect_hint", { port: portName(port), from });
    this.hint.hidden = false;
  }

  finishConnecting(to) {
    const { from, port } = this.connecting;
    this.stopConnecting();
    if (to !== from) this.handlers.onConnect(from, port, to);
  }

  stopConnecting() {
    this.connecting = null;
    this.svg.classList.remove("is-connecting");
    this.hint.hidden = true;
  }
}
