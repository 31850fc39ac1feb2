// French and English for the staff pages (agent console, fleet, analytics and its login).
// Static HTML names its text with data-i18n="key" (and data-i18n-aria-label, -title,
// -placeholder, -alt for attributes); text built by JS goes through t("key", {params}), or
// setText(), which also marks the node so that a language switch rewrites it in place.
// A table of keys chosen by a code is a `const NAME_KEYS = {...}`, spelled out in full:
// tests/staff/test_i18n_catalogue.py finds every key in these forms, so none is missing or unused.
// Switching never reloads: an agent in a call keeps the call.

import { CATALOGUE } from "./strings.js";

export const LANGUAGES = ["fr", "en"];
const STORAGE_KEY = "visioguichet.staff.lang";
const ATTRIBUTES = ["aria-label", "title", "placeholder", "alt"];
const CHANGE_EVENT = "staff-language";

let current = initialLanguage();

// The agent's last choice wins; the first visit follows the browser (Québec offices run
// French browsers, the test browsers en-US). Storage may be off (private mode): then the
// browser decides every time.
function initialLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (LANGUAGES.includes(stored)) return stored;
  } catch {
    // No storage: fall through.
  }
  return String(navigator.language || "").toLowerCase().startsWith("fr") ? "fr" : "en";
}

/** The current language code, "fr" or "en". */
export function language() {
  return current;
}

/** The BCP 47 locale for numbers and dates (Québec French, Canadian English). */
export function locale() {
  return current === "fr" ? "fr-CA" : "en-CA";
}

/**
 * The text of `key` in the current language, with {name} placeholders filled from
 * `params`. An unknown key shows itself (a visible bug, never a blank button).
 */
export function t(key, params = {}) {
  const entry = CATALOGUE[key];
  if (!entry) return key;
  const text = entry[current] || entry.en;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * The words for a code the server or a kiosk sent, through a page's `{code: key}` table:
 * `t(keys[code], params)` for a code in the table, else `fallback` (the code as sent).
 */
export function tCode(keys, code, params = {}, fallback = code) {
  return Object.hasOwn(keys, code) ? t(keys[code], params) : fallback;
}

/** Set a node's text to `key` and remember it, so that a language switch rewrites it. */
export function setText(node, key, params = null) {
  node.dataset.i18n = key;
  if (params) node.dataset.i18nArgs = JSON.stringify(params);
  else delete node.dataset.i18nArgs;
  node.textContent = t(key, params ?? {});
}

/** Empty a node and forget its key (its next text may come from the network). */
export function clearText(node) {
  delete node.dataset.i18n;
  delete node.dataset.i18nArgs;
  node.textContent = "";
}

function paramsOf(node) {
  try {
    return node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : {};
  } catch {
    return {};
  }
}

/** Rewrite every marked text and attribute under `root` in the current language. */
export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n, paramsOf(node));
  }
  for (const attribute of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      node.setAttribute(attribute, t(node.getAttribute(`data-i18n-${attribute}`)));
    }
  }
  document.documentElement.lang = current;
  for (const button of document.querySelectorAll("button[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === current));
  }
}

/** Call `listener` after each language switch (for what a page re-renders itself). */
export function onLanguageChange(listener) {
  document.addEventListener(CHANGE_EVENT, () => listener(current));
}

/** Switch language: remembered, applied to the marked nodes, then announced to the pages. */
export function setLanguage(code) {
  if (!LANGUAGES.includes(code)) throw new Error(`Unknown language: ${code}`);
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // No storage: the choice lasts as long as the page.
  }
  translate();
  document.dispatchEvent(new CustomEvent(CHANGE_EVENT));
}

/** Translate the page and wire its switch (the buttons with data-lang in the header). */
export function startI18n() {
  for (const button of document.querySelectorAll("button[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  translate();
}
