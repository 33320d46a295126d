// The window screen (窗口屏) above one window: its number and name, the number called
// or being served, the clerk's name, and the states 请稍候 / 欢迎您 / 暂停服务.

import { language, t } from "./i18n.js";
import { $, FRESH_MS, startScreen } from "./screen.js";

let freshSeq = null;
let freshUntil = 0;
let expiryTimer = null;

function windowNumber({ screen, link }) {
  return screen?.window ?? link?.scope?.window ?? null;
}

/** What the screen says: called (a number to come to this window), serving (欢迎您),
 * waiting (open and free: 请稍候), paused or closed (both 暂停服务). */
export function windowState(window) {
  if (!window || window.status === "closed") return "closed";
  if (window.status === "paused") return "paused";
  if (window.ticket && window.ticket_status === "called") return "called";
  if (window.ticket && window.ticket_status === "serving") return "serving";
  return "waiting";
}

const view = {
  render(context) {
    const { model, settings } = context;
    const number = windowNumber(context);
    const window = model.loaded ? model.windows.get(number) : null;
    if (!model.loaded || !settings || !window) {
      for (const id of ["window-number", "window-name", "state-label", "serving-number", "state-words", "call-text"]) {
        $(id).textContent = "";
      }
      $("clerk").hidden = true;
      return;
    }
    document.title = `${window.name} · ${t("title_window")}`;
    $("window-number").textContent = t("window_n", { n: window.number });
    $("window-name").textContent = window.name;
    $("clerk").hidden = !window.clerk || window.status === "closed";
    $("clerk").querySelector(".clerk-label").textContent = `${t("clerk")}${language() === "en" ? ": " : "："}`;
    $("clerk-name").textContent = window.clerk ?? "";

    const state = windowState(window);
    const area = $("window-state");
    area.dataset.state = state;
    const call = model.calls.get(window.number);
    const fresh = state === "called" && call?.seq === freshSeq && Date.now() < freshUntil;
    area.classList.toggle("fresh", fresh);
    $("state-label").textContent = { called: t("now_calling"), serving: t("now_serving") }[state] ?? "";
    $("serving-number").textContent = state === "called" || state === "serving" ? window.ticket : "";
    const words = { serving: t("welcome"), waiting: t("please_wait"), paused: t("paused"), closed: t("paused") };
    $("state-words").textContent = words[state] ?? "";
    const text = state === "called" && call?.number === window.ticket ? (call.texts?.[language()] ?? "") : "";
    $("call-text").textContent = text;
    for (const id of ["state-label", "serving-number", "state-words", "call-text"]) $(id).hidden = !$(id).textContent;
  },

  called(context, call) {
    if (call.window !== windowNumber(context)) return false;
    freshSeq = call.seq;
    freshUntil = Date.now() + FRESH_MS;
    $("window-state").classList.remove("fresh");
    void $("window-state").offsetWidth; // restart the flash
    view.render(context);
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => view.render(context), FRESH_MS + 50);
    return true;
  },
};

startScreen("window_screen", view);
