// The campaign editor: a draft's audience, channels, A/B variants, buttons, template, schedule and pace, saved
// through the API (its validation errors shown next to the form), and the per-channel preview.

import { call } from "./admin_api.js";
import { $, clear, h, safeUrl } from "./dom.js";
import { t } from "./i18n.js";

const STYLES = ["whatsapp", "telegram", "sms", "webchat"];
let boot = {};
let notify = () => {};
let afterSave = async () => {};
let afterLaunch = () => {};
let segmentsNow = () => [];
const state = { editing: null, serial: 0, previews: [], variant: null };

function labelled(text, control, className = "cond-field") {
  const id = `cmp-${++state.serial}`;
  control.id = id;
  return h("label", { class: className, for: id }, h("span", { text }), control);
}

function input(value, attrs = {}) {
  const el = h("input", { class: "input", autocomplete: "off", ...attrs });
  el.value = value === undefined || value === null ? "" : String(value);
  return el;
}

function removeButton(label, row) {
  return h("button", { type: "button", class: "btn btn-small", text: t("cmp_remove"), "aria-label": label,
    onclick: () => { row.remove(); renumber(); } });
}

/* Channels: one for "fixed", an ordered list for "preferred" */

function channelStyle(kind) {
  if (kind.startsWith("whatsapp")) return "whatsapp";
  if (kind.startsWith("sms")) return "sms";
  return kind;
}

function channelRow(channelId) {
  const choice = h("select", { class: "input" });
  for (const channel of boot.channels || []) {
    const option = h("option", { value: channel.id, text: `${channel.name} (${t(`cmp_kind_${channelStyle(channel.kind)}`)})` });
    if (channel.id === channelId) option.selected = true;
    choice.append(option);
  }
  const row = h("li", { class: "condition channel-row" });
  row.append(h("div", { class: "condition-fields" }, labelled(t("cmp_channel"), choice),
    removeButton(t("cmp_remove_channel"), row)));
  row.readChannel = () => Number(choice.value);
  return row;
}

function renumber() {
  const rows = [...$("#campaign-channels").children];
  const preferred = $("#campaign-mode").value === "preferred";
  rows.forEach((row, index) => {
    row.querySelector(".cond-field > span").textContent = index === 0 ? t("cmp_channel") : t("cmp_then_channel", { n: index + 1 });
    row.querySelector("button").hidden = index === 0;
    row.hidden = !preferred && index > 0;
  });
  $("#add-channel").hidden = !preferred;
  [...$("#campaign-variants").children].forEach((row, index) => {
    row.querySelector("button").hidden = index === 0;
  });
}

/* Variants and buttons */

/* SMS segments: GSM-7 text fits 160 characters in one SMS and 153 per part when split (the extension
 * characters count twice); anything else (Chinese, Japanese, most emoji) is UCS-2: 70, then 67 per part. */
const GSM7 = new Set(("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  + "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").split(""));
const GSM7_EXTENSION = new Set("^{}\\[~]|€\f".split(""));

export function smsSegments(text) {
  const chars = [...(text || "")];
  const gsm = chars.every((c) => GSM7.has(c) || GSM7_EXTENSION.has(c));
  const units = gsm ? chars.reduce((n, c) => n + (GSM7_EXTENSION.has(c) ? 2 : 1), 0)
    : [...(text || "")].reduce((n, c) => n + (c.codePointAt(0) > 0xffff ? 2 : 1), 0);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
  return { encoding: gsm ? "GSM-7" : "UCS-2", units, segments };
}

function smsCounter(text, counter) {
  const { encoding, units, segments } = smsSegments(text.value);
  counter.textContent = t(encoding === "GSM-7" ? "cmp_sms_segments_gsm" : "cmp_sms_segments_ucs2",
    { count: units, segments });
  counter.dataset.segments = segments;
  counter.dataset.encoding = encoding;
}

function variantRow(variant) {
  const name = input(variant.name, { maxlength: 20, class: "input narrow" });
  const weight = input(variant.weight ?? 50, { type: "number", min: 0, step: 1, class: "input narrow" });
  const text = h("textarea", { class: "input", rows: 3, maxlength: 4096 });
  text.value = variant.text || "";
  const counter = h("p", { class: "muted small sms-count", "aria-live": "polite" });
  text.addEventListener("input", () => smsCounter(text, counter));
  smsCounter(text, counter);
  const row = h("li", { class: "condition variant-row" });
  row.append(h("div", { class: "condition-fields" },
    labelled(t("cmp_variant_name"), name), labelled(t("cmp_weight"), weight),
    labelled(t("cmp_message_text"), text, "cond-field variant-text"),
    removeButton(t("cmp_remove_variant"), row)), counter);
  row.readVariant = () => ({ name: name.value.trim(), weight: Number(weight.value || 0), text: text.value || null });
  row.setWeight = (value) => { weight.value = String(value); };
  return row;
}

/* A new variant splits the weights evenly (three variants: 34, 33, 33). */
function evenWeights() {
  const rows = [...$("#campaign-variants").children];
  const share = Math.floor(100 / rows.length);
  rows.forEach((row, index) => row.setWeight(share + (index < 100 - share * rows.length ? 1 : 0)));
}

function buttonRow(button) {
  const kind = h("select", { class: "input" },
    h("option", { value: "reply", text: t("cmp_quick_reply") }), h("option", { value: "url", text: t("cmp_url_button") }));
  kind.value = button.url ? "url" : "reply";
  const title = input(button.title, { maxlength: 200 });
  const url = input(button.url, { maxlength: 2000, type: "url", placeholder: "https://" });
  const urlField = labelled(t("cmp_button_url"), url);
  const sync = () => { urlField.hidden = kind.value !== "url"; };
  kind.addEventListener("change", sync);
  sync();
  const row = h("li", { class: "condition button-row" });
  row.append(h("div", { class: "condition-fields" }, labelled(t("cmp_button_kind"), kind),
    labelled(t("cmp_button_title"), title), urlField, removeButton(t("cmp_remove_button"), row)));
  row.readButton = () => {
    if (!title.value.trim()) return null;
    return kind.value === "url" ? { title: title.value.trim(), url: url.value.trim() } : { title: title.value.trim() };
  };
  return row;
}

/* Reading and filling the form */

function pad(n) {
  return String(n).padStart(2, "0");
}

function localInputValue(iso, wallClock) {
  if (!iso) return "";
  if (wallClock) return iso.slice(0, 16);
  const date = new Date(iso);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function body() {
  const media = $("#campaign-media").value.trim();
  const buttons = [...$("#campaign-buttons").children].map((row) => row.readButton()).filter(Boolean);
  const variants = [...$("#campaign-variants").children].map((row) => ({
    ...row.readVariant(), media_url: media || null, media_type: media ? "image" : null, buttons }));
  const templateName = $("#template-name").value.trim();
  const later = $("#when-later").checked && $("#campaign-send-at").value;
  const localTime = $("#campaign-local-time").checked;
  let sendAt = null;
  if (later) sendAt = localTime ? `${$("#campaign-send-at").value}:00` : new Date($("#campaign-send-at").value).toISOString();
  const throttle = $("#campaign-throttle").value.trim();
  const segment = $("#campaign-segment").value;
  const firstName = $("#default-first-name").value.trim();
  const mode = $("#campaign-mode").value;
  const channels = [...$("#campaign-channels").children].map((row) => row.readChannel());
  return {
    name: $("#campaign-name").value.trim(),
    segment_id: segment ? Number(segment) : null,
    channel_mode: mode,
    channel_ids: mode === "fixed" ? channels.slice(0, 1) : [...new Set(channels)],
    variants,
    template: templateName ? {
      name: templateName, language: $("#template-language").value.trim() || "en_US",
      params: $("#template-params").value.split("\n").map((p) => p.trim()).filter(Boolean),
      button_url: $("#template-button-url").value.trim() || null } : null,
    defaults: firstName ? { first_name: firstName } : {},
    coupon_prefix: $("#campaign-coupon").value.trim() || null,
    send_at: sendAt,
    local_time: Boolean(later && localTime),
    quiet_start: $("#quiet-start").value || null,
    quiet_end: $("#quiet-end").value || null,
    throttle_per_second: throttle ? Number(throttle) : null,
  };
}

export function drawSegmentChoices() {
  const choice = $("#campaign-segment");
  const current = choice.value || (state.editing && state.editing.segment_id ? String(state.editing.segment_id) : "");
  clear(choice).append(h("option", { value: "", text: t("cmp_choose_segment") }));
  for (const segment of segmentsNow()) choice.append(h("option", { value: segment.id, text: segment.name }));
  choice.value = current;
}

function fill(campaign) {
  const c = campaign || {};
  $("#campaign-name").value = c.name || "";
  drawSegmentChoices();
  $("#campaign-segment").value = c.segment_id ? String(c.segment_id) : "";
  $("#campaign-mode").value = c.channel_mode || "fixed";
  const channels = c.channel_ids && c.channel_ids.length ? c.channel_ids : [(boot.channels[0] || {}).id];
  clear($("#campaign-channels")).append(...channels.map(channelRow));
  const variants = c.variants && c.variants.length ? c.variants : [{ name: "A", weight: 100, text: "" }];
  clear($("#campaign-variants")).append(...variants.map(variantRow));
  const first = variants[0] || {};
  $("#campaign-media").value = first.media_url || "";
  clear($("#campaign-buttons")).append(...(first.buttons || []).map(buttonRow));
  $("#default-first-name").value = (c.defaults || {}).first_name || "";
  $("#campaign-coupon").value = c.coupon_prefix || "";
  const template = c.template || {};
  $("#template-name").value = template.name || "";
  $("#template-language").value = template.language || "";
  $("#template-params").value = (template.params || []).join("\n");
  $("#template-button-url").value = template.button_url || "";
  $("#when-later").checked = Boolean(c.send_at);
  $("#when-now").checked = !c.send_at;
  $("#campaign-send-at").value = localInputValue(c.send_at, c.local_time);
  $("#campaign-local-time").checked = Boolean(c.local_time);
  $("#quiet-start").value = campaign ? c.quiet_start || "" : "21:00";
  $("#quiet-end").value = campaign ? c.quiet_end || "" : "08:00";
  $("#campaign-throttle").value = c.throttle_per_second || "";
  $("#campaign-error").textContent = "";
  renumber();
}

/* The preview */

/* Each bubble is drawn from `seen`: what the channel's own renderer asks the provider to deliver (the server
 * renders the message exactly as the sender will), so buttons appear only where the customer gets buttons. */
function bubble(style, seen) {
  const parts = [];
  const media = safeUrl(seen.media_url);
  if (media) parts.push(h("img", { class: "bubble-media", src: media, alt: t("cmp_image_alt") }));
  if (seen.error) parts.push(h("p", { class: "bubble-text error", text: seen.error }));
  if (seen.template) {
    const name = seen.template.name || seen.template.content_sid || "";
    const language = seen.template.language ? ` (${seen.template.language})` : "";
    parts.push(h("p", { class: "bubble-text", text: `${name}${language}` }));
    const params = seen.template.params || [];
    if (params.length) parts.push(h("p", { class: "small muted", text: params.join(" | ") }));
  }
  if (seen.text) parts.push(h("p", { class: "bubble-text", text: seen.text }));
  const card = h("div", { class: `bubble bubble-${style}` }, ...parts);
  if (!seen.native || !(seen.buttons || []).length) return card;
  const buttons = seen.list_button
    ? [h("span", { class: "bubble-button is-list", text: seen.list_button, title: seen.buttons.map((b) => b.title).join(" / ") })]
    : seen.buttons.map((button) => h("span", { class: "bubble-button" + (button.url ? " is-link" : ""), text: button.title }));
  return h("div", { class: "bubble-group" }, card, h("div", { class: `bubble-buttons bubble-buttons-${style}` }, ...buttons));
}

function drawPreview() {
  const panel = clear($("#campaign-preview"));
  if (!state.previews.length) {
    panel.append(h("p", { class: "muted", text: state.editing ? t("cmp_preview_none") : t("cmp_preview_save_first") }));
    return;
  }
  const variants = (state.editing && state.editing.variants) || [];
  if (variants.length > 1) {
    const choice = h("select", { class: "input" }, ...variants.map((v) => h("option", { value: v.name, text: v.name })));
    choice.value = state.variant || variants[0].name;
    choice.addEventListener("change", () => { state.variant = choice.value; loadPreview(); });
    panel.append(labelled(t("cmp_variant_name"), choice));
  }
  const ordered = [...state.previews].sort((a, b) => STYLES.indexOf(a.style) - STYLES.indexOf(b.style));
  for (const entry of ordered) {
    const style = STYLES.includes(entry.style) ? entry.style : "webchat";
    const head = h("div", { class: "phone-head" }, h("strong", { text: t(`cmp_kind_${style}`) }),
      entry.in_campaign ? h("span", { class: "badge consent-opted_in", text: t("cmp_in_this_campaign") }) : null);
    panel.append(h("section", { class: `phone phone-${style}`, dataset: { style, kind: entry.channel_kind }, "aria-label": t("cmp_preview_on", { channel: t(`cmp_kind_${style}`) }) },
      head, h("div", { class: "phone-screen" }, bubble(style, entry.seen || {}))));
  }
  const template = ordered.find((p) => p.outside_window);
  if (template) {
    panel.append(h("section", { class: "phone phone-whatsapp", dataset: { style: "whatsapp-template" } },
      h("div", { class: "phone-head" }, h("strong", { text: t("cmp_outside_window") })),
      h("div", { class: "phone-screen" }, bubble("whatsapp", template.outside_window.seen || {}))));
  }
}

async function loadPreview() {
  if (!state.editing) {
    state.previews = [];
    drawPreview();
    return;
  }
  try {
    const answer = await call(`/api/v1/campaigns/${state.editing.id}/preview`, { method: "POST",
      body: state.variant ? { variant: state.variant } : {} });
    state.previews = answer.previews;
  } catch (error) {
    state.previews = [];
    $("#campaign-error").textContent = error.message;
  }
  drawPreview();
}

/* Saving and launching */

async function save() {
  const data = body();
  const error = $("#campaign-error");
  error.textContent = "";
  if (!data.name) {
    error.textContent = t("cmp_need_name");
    return null;
  }
  try {
    let saved = state.editing
      ? await call(`/api/v1/campaigns/${state.editing.id}`, { method: "PATCH", body: data })
      : await call("/api/v1/campaigns", { method: "POST", body: data });
    if (saved.quiet_start !== data.quiet_start || saved.quiet_end !== data.quiet_end) {
      // A new draft takes the default quiet hours for an empty field: clear them as asked.
      saved = await call(`/api/v1/campaigns/${saved.id}`, { method: "PATCH",
        body: { quiet_start: data.quiet_start, quiet_end: data.quiet_end } });
    }
    state.editing = saved;
    if (state.variant && !saved.variants.some((v) => v.name === state.variant)) state.variant = null;
    $("#campaign-form-title").textContent = t("cmp_edit_named", { name: saved.name });
    await afterSave(saved);
    await loadPreview();
    return saved;
  } catch (problem) {
    error.textContent = problem.message;
    return null;
  }
}

function reasonText(reason) {
  const key = `cmp_reason_${reason.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}`;
  const known = t(key);
  return known && known !== key ? known : reason;
}

export function reasonLine(item) {
  return t("cmp_reason_count", { state: t(`cmp_stat_${item.state}`), reason: reasonText(item.reason), count: item.count });
}

/* "Send to N people on these channels?": the launch, rolled back on the server, says who gets what where. */
async function confirmLaunch(saved) {
  const check = await call(`/api/v1/campaigns/${saved.id}/launch-check`, { method: "POST" });
  const dialog = $("#launch-confirm");
  $("#launch-confirm-title").textContent = t("cmp_confirm_title", { count: check.sending });
  clear($("#launch-confirm-channels")).append(...check.channels.map((c) => h("li", {
    dataset: { channel: c.channel_id, count: c.count },
    text: t("cmp_confirm_channel", { name: c.name || "–", kind: t(`cmp_kind_${channelStyle(c.kind || "")}`), count: c.count }) })));
  $("#launch-confirm-skipped").textContent = check.skipped ? t("cmp_confirm_skipped", { count: check.skipped }) : "";
  clear($("#launch-confirm-reasons")).append(...check.reasons.map((item) => h("li", { text: reasonLine(item) })));
  $("#launch-confirm-send").disabled = check.sending === 0;
  return new Promise((resolve) => {
    const done = (answer) => {
      $("#launch-confirm-send").onclick = null;
      $("#launch-confirm-cancel").onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $("#launch-confirm-send").onclick = () => done(true);
    $("#launch-confirm-cancel").onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
    $("#launch-confirm-cancel").focus();
  });
}

async function launch() {
  const saved = await save();
  if (!saved) return;
  if (!saved.segment_id) {
    $("#campaign-error").textContent = t("cmp_need_segment");
    return;
  }
  try {
    if (!(await confirmLaunch(saved))) return;
    const launched = await call(`/api/v1/campaigns/${saved.id}/launch`, { method: "POST" });
    notify(t("cmp_launched", { name: launched.name }));
    closeEditor();
    afterLaunch(launched);
  } catch (problem) {
    $("#campaign-error").textContent = problem.message;
  }
}

/* A test send to the marketer's own phone (or the sandbox phone) on the campaign's first channel. */
async function testSend() {
  const to = $("#test-to").value.trim();
  if (!to) { $("#test-to").focus(); return; }
  const saved = await save();
  if (!saved) return;
  try {
    await call(`/api/v1/campaigns/${saved.id}/test-send`, { method: "POST",
      body: { channel_id: saved.channel_ids[0], to, variant: state.variant } });
    notify(t("cmp_test_sent", { to }));
  } catch (problem) {
    $("#campaign-error").textContent = problem.message;
  }
}

export function openEditor(campaign) {
  state.editing = campaign;
  state.variant = null;
  state.previews = [];
  $("#campaign-editor").hidden = false;
  $("#campaign-form-title").textContent = campaign ? t("cmp_edit_named", { name: campaign.name }) : t("cmp_new_campaign");
  fill(campaign);
  drawPreview();
  if (campaign) loadPreview();
  $("#campaign-name").focus();
}

export function closeEditor() {
  state.editing = null;
  $("#campaign-editor").hidden = true;
}

export function setupEditor(options) {
  ({ boot, notify, afterSave, afterLaunch, segments: segmentsNow } = options);
  $("#campaign-mode").addEventListener("change", renumber);
  $("#add-channel").addEventListener("click", () => {
    $("#campaign-channels").append(channelRow((boot.channels[0] || {}).id));
    renumber();
  });
  $("#add-variant").addEventListener("click", () => {
    const taken = new Set([...$("#campaign-variants").children].map((row) => row.readVariant().name));
    const name = "ABCDE".split("").find((letter) => !taken.has(letter)) || "";
    $("#campaign-variants").append(variantRow({ name, weight: 0 }));
    evenWeights();
    renumber();
  });
  $("#add-button").addEventListener("click", () => {
    const row = buttonRow({});
    $("#campaign-buttons").append(row);
    row.querySelector("input").focus();
  });
  $("#campaign-send-at").addEventListener("input", () => { $("#when-later").checked = true; });
  $("#campaign-form").addEventListener("submit", (event) => { event.preventDefault(); save(); });
  $("#campaign-launch").addEventListener("click", launch);
  $("#test-send").addEventListener("click", testSend);
  $("#campaign-close").addEventListener("click", closeEditor);
}
