// The catalog's shared helpers: titles in the agent's language, and money as integer minor units
// (JPY has no decimals, HKD and USD have two). Floats never hold a price: amounts are parsed as strings.

import { locale } from "./i18n.js";

/** "zh-Hant" → "zh_Hant", "ja-JP" → "ja", anything else → "en" (the catalog's title keys). */
export function catalogLocale(lang = locale) {
  const value = String(lang || "en").toLowerCase();
  if (value.startsWith("zh")) return "zh_Hant";
  if (value.startsWith("ja")) return "ja";
  return "en";
}

/** A title map in the agent's language, else English, else whichever there is. */
export function localized(texts, fallback = "") {
  if (!texts || typeof texts !== "object") return fallback;
  const wanted = catalogLocale();
  const found = texts[wanted] || texts.en || Object.values(texts).find((text) => text);
  return found || fallback;
}

export function productTitle(product) {
  return localized(product.title, product.handle);
}

/** "Silk shirt (M / Red)": the product's title with the variant's option values, as the API builds it. */
export function variantLabel(product, variant) {
  const values = Object.values(variant.options || {}).map(String).filter((value) => value.trim());
  const title = productTitle(product);
  return values.length ? `${title} (${values.join(" / ")})` : title;
}

/** The variant's price in a currency ({currency, amount_minor, amount, display}), or null. */
export function priceIn(variant, currency) {
  return (variant.prices || []).find((price) => price.currency === currency) || null;
}

/** How many decimal places a currency's minor unit has: JPY 0, HKD 2. */
export function places(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** Minor units shown in the agent's locale when the API gave no formatted string. */
export function formatMinor(amountMinor, currency) {
  const digits = places(currency);
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  const major = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(`${amountMinor < 0 ? "-" : ""}${major}`);
  } catch {
    return `${major} ${currency}`;
  }
}

export class PriceError extends Error {
  constructor(kind, params) {
    super(kind);
    this.kind = kind;
    this.params = params;
  }
}

/**
 * A price typed by a person, in the currency's major unit → minor units: "4,800" JPY → 4800,
 * "296.00" HKD → 29600, "128.5" HKD → 12850. Refuses what is finer than the currency's smallest unit.
 */
export function toMinor(raw, currency) {
  let text = String(raw).trim().replace(/^(HK\$|US\$|\$|¥|￥|JP¥|円)|(円|HKD|JPY|USD)$/gi, "").trim();
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) text = text.replace(/,/g, "");  // group separators only
  const found = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!found) throw new PriceError("bad_price", { amount: raw, currency });
  const digits = places(currency);
  const fraction = (found[2] || "").replace(/0+$/, "");
  if (fraction.length > digits) throw new PriceError("too_fine_price", { currency, places: digits });
  const minor = `${found[1]}${fraction.padEnd(digits, "0")}`.replace(/^0+(?=\d)/, "");
  const value = Number(minor);
  if (!Number.isSafeInteger(value)) throw new PriceError("bad_price", { amount: raw, currency });
  return value;
}

/** Minor units → the plain major-unit text an admin edits: 29600 HKD → "296.00", 4800 JPY → "4800". */
export function toMajorText(amountMinor, currency) {
  const digits = places(currency);
  if (!digits) return String(amountMinor);
  const text = String(amountMinor).padStart(digits + 1, "0");
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
