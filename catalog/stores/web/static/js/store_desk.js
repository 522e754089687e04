// The redemption page at a store's till: scan the coupon's QR code with the camera (the browser's
// BarcodeDetector, when it has one) or type the code; see the customer, the offer and the state; redeem once.
// Every value from the server is set as text, never as HTML.

import { api, ApiError } from "./api.js";
import { has, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const boot = JSON.parse($("hub-boot").textContent);
const full = new Intl.DateTimeFormat(document.documentElement.lang || "en", { dateStyle: "medium", timeStyle: "short" });
let current = null;

function storeId() {
  return Number($("desk-store").value || 0);
}

function say(text, ok = false) {
  $("desk-result").textContent = text;
  $("desk-result").classList.toggle("ok", ok);
}

function refusal(error) {
  const code = error && error.detail && typeof error.detail === "object" ? error.detail.refusal : null;
  if (code && has(`err_coupon_${code}`)) return t(`err_coupon_${code}`);
  return error instanceof ApiError ? error.message : String(error);
}

// `api` throws with the body's `detail`; redemption refusals carry a `refusal` beside it, read here.
async function post(path, body) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": meta ? meta.content : "" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new ApiError(response.status, data && data.detail), { detail: data });
  return data;
}

function show(coupon) {
  current = coupon;
  $("desk-coupon").hidden = false;
  $("desk-state").textContent = t(`desk_state_${coupon.state}`);
  $("desk-state").dataset.state = coupon.state;
  $("desk-customer").textContent = coupon.customer_name || "–";
  $("desk-offer").textContent = coupon.offer || "–";
  $("desk-shown-code").textContent = coupon.code;
  let detail = "";
  if (coupon.state === "redeemed" && coupon.redeemed_at) {
    detail = t("desk_redeemed_at", { store: coupon.store_name || "", when: full.format(new Date(coupon.redeemed_at)) });
  } else if (coupon.expires_at) {
    detail = t("desk_expires", { when: full.format(new Date(coupon.expires_at)) });
  }
  $("desk-detail").textContent = detail;
  $("desk-redeem").disabled = coupon.state !== "issued" || !storeId();
}

async function lookUp(raw) {
  const code = raw.replace(/\s+/g, "").toUpperCase();
  if (!code) return;
  $("desk-code").value = code;
  say("");
  $("desk-hint").textContent = t("desk_looking");
  try {
    show(await api(`/api/v1/coupons/${encodeURIComponent(code)}`));
    $("desk-hint").textContent = "";
  } catch (error) {
    $("desk-coupon").hidden = true;
    current = null;
    $("desk-hint").textContent = "";
    say(error.status === 404 ? t("err_coupon_unknown") : refusal(error));
  }
}

async function redeem() {
  if (!current) return;
  $("desk-redeem").disabled = true;
  try {
    show(await post("/api/v1/coupons/redeem", { code: current.code, store_id: storeId() }));
    say(t("desk_done"), true);
    figures();
  } catch (error) {
    if (error.detail && error.detail.coupon) show(error.detail.coupon);
    say(refusal(error));
  }
}

async function figures() {
  if (!storeId()) return;
  try {
    const found = await api(`/api/v1/stores/${storeId()}/figures`);
    $("desk-today").textContent = String(found.redeemed_today);
    $("desk-week").textContent = String(found.redeemed_7_days);
  } catch { /* the figures are a courtesy: the till works without them */ }
}

// A QR code holds the coupon page's address (…/c/CODE/signature) or the bare code.
function codeIn(text) {
  const match = /\/c\/([A-Za-z0-9-]+)\//.exec(text);
  return match ? match[1] : text;
}

async function scan() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    $("desk-hint").textContent = t("desk_camera_denied");
    return;
  }
  const video = $("desk-video");
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  $("desk-hint").textContent = t("desk_scanning");
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const stop = () => { stream.getTracks().forEach((track) => track.stop()); video.hidden = true; };
  const tick = async () => {
    try {
      const found = await detector.detect(video);
      if (found.length) { stop(); lookUp(codeIn(found[0].rawValue)); return; }
    } catch { /* a frame the detector could not read */ }
    if (!video.hidden) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

if ("BarcodeDetector" in window && navigator.mediaDevices) {
  $("desk-camera").hidden = false;
  $("desk-camera").addEventListener("click", scan);
} else {
  $("desk-hint").textContent = t("desk_scan_unsupported");
}
$("desk-form").addEventListener("submit", (event) => { event.preventDefault(); lookUp($("desk-code").value); });
$("desk-redeem").addEventListener("click", redeem);
$("desk-store").addEventListener("change", () => { figures(); if (current) show(current); });
if (boot.code) lookUp(boot.code);
figures();
