// What the hall and window screens share: the token, the link and the model, the
// offline badge and the refusal message, the ticking clock, the voice and its label,
// and the diagnostics object `window.hallQueue` that the browser tests read.

import { locale, setLanguage, t, translate } from "./i18n.js";
import { deviceToken, ScreenLink } from "./link.js";
import { HallModel, isCall } from "./model.js";
import { Announcer } from "./voice.js";

/** The element with `data-testid` = `testid`: the pages' one way to find their parts. */
export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
/** How long a new call stays highlighted, on either screen. */
export const FRESH_MS = 8000;

/**
 * Start a screen of `kind` ("hall_screen" or "window_screen"). `view` draws it:
 * view.render(context) after every change, view.called(context, call) when a call
 * arrives (to highlight it). `context` is {model, screen, settings, link, voice}.
 */
export function startScreen(kind, view) {
  const diagnostics = {
    kind,
    state: "connecting",
    detail: null,
    screen: null,
    announcer: false,
    voicePath: null,
    shown: [], // seq of every call drawn, in order
    drawnAt: {}, // seq -> when it was drawn (ms since the epoch)
    voiceLog: [],
  };
  window.hallQueue = diagnostics;
  setLanguage("zh-CN");
  translate();

  const token = deviceToken();
  if (!token) {
    block(t("token_missing"));
    diagnostics.state = "refused";
    return;
  }

  const model = new HallModel();
  const context = { model, screen: null, settings: null, link: null, voice: null, blocked: false };

  const link = new ScreenLink(token, {
    state(state, detail) {
      diagnostics.state = state;
      diagnostics.detail = detail ?? null;
      if (state === "refused") {
        // no data on a screen whose token was refused: forget everything drawn
        context.screen = null;
        context.blocked = true;
        model.reset(); // so that when accepted again, it draws from a snapshot
        view.render(context);
        block(detail || t("token_refused"));
        return;
      }
      // a refused screen stays refused until the server accepts it again
      $("offline-badge").hidden = state !== "offline" || context.blocked;
      $("offline-badge").textContent = t("offline");
      document.body.classList.toggle("is-offline", state === "offline");
    },
    needsSnapshot() {
      return !model.loaded;
    },
    subscribed(data, { snapshot }) {
      const screen = data.screen ?? { kind, settings: {}, announcer: false };
      if (screen.kind && screen.kind !== kind) {
        context.blocked = true;
        model.reset();
        view.render(context);
        link.socket.disconnect(); // a hall screen's page with a window screen's token, or the reverse
        block(t("wrong_kind", { kind: t(kind === "hall_screen" ? "title_hall" : "title_window") }));
        return;
      }
      context.blocked = false;
      unblock();
      context.screen = screen;
      context.settings = withDefaults(screen.settings, kind);
      diagnostics.screen = screen;
      diagnostics.announcer = Boolean(screen.announcer);
      setLanguage(context.settings.language);
      translate();
      if (snapshot) model.load(snapshot);
      if (typeof data.notice === "string") model.hall.notice = data.notice;
      voice.configure({
        settings: context.settings.voice,
        language: context.settings.language,
        announcer: speaksFor(kind, screen),
        speechAvailable: screen.speech_available,
      });
      document.querySelector(".connecting")?.remove();
      document.querySelector("main").hidden = false;
      $("offline-badge").hidden = true;
      view.render(context);
      tick();
    },
    event(event) {
      if (context.blocked || !model.loaded) return;
      const outcome = model.apply(event);
      // drawn at once (a new day's screen drops yesterday's calls before the snapshot comes)
      view.render(context);
      if (outcome.reload) link.resubscribe({ snapshot: true });
      if (outcome.call && isCall(event)) {
        const visible = view.called(context, outcome.call);
        if (visible) {
          diagnostics.shown.push(event.seq);
          diagnostics.drawnAt[event.seq] = Date.now();
          link.markShown(event.seq);
          voice.offer(event);
        }
      }
    },
    configured(settings) {
      if (!context.screen) return;
      context.settings = withDefaults(settings, kind);
      setLanguage(context.settings.language);
      translate();
      voice.configure({ settings: context.settings.voice, language: context.settings.language });
      view.render(context);
    },
    announcer(flag) {
      diagnostics.announcer = flag;
      if (context.screen) context.screen.announcer = flag;
      voice.configure({ announcer: context.screen ? speaksFor(kind, context.screen) : false });
    },
  });
  context.link = link;

  const voice = new Announcer(link, () => drawVoice(context));
  context.voice = voice;
  diagnostics.voiceLog = voice.log;
  diagnostics.voice = voice;
  diagnostics.link = link;
  Object.defineProperty(diagnostics, "lastSeq", { get: () => link.lastSeq, enumerable: true });

  function tick() {
    if (!model.loaded) return;
    const now = new Date(link.serverNow());
    const timeZone = model.hall.timezone || "Asia/Shanghai";
    const date = new Intl.DateTimeFormat(locale(), {
      timeZone,
      year: "numeric",
      month: "long",
      day: "numeric",
      weekday: "long",
    }).format(now);
    const time = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    }).format(now);
    const dateElement = $("date");
    const timeElement = $("time");
    if (dateElement && dateElement.textContent !== date) dateElement.textContent = date;
    if (timeElement) timeElement.textContent = time;
  }
  setInterval(tick, 1000);
  // a set turned to portrait, or a window resized: layouts that depend on the shape redraw
  window.addEventListener("resize", () => view.render(context));
}

/** Window screens speak only if a manager turned their voice on; a hall screen speaks
 * when the server chose it to speak for its zone. */
function speaksFor(kind, screen) {
  if (screen.announcer !== undefined && screen.announcer !== null) return Boolean(screen.announcer);
  return kind === "window_screen";
}

function withDefaults(settings = {}, kind) {
  return {
    zone: settings.zone ?? null,
    rows: settings.rows ?? 8,
    language: settings.language ?? "zh-CN",
    notice: settings.notice ?? null,
    voice: { enabled: kind === "hall_screen", repeat: 2, rate: 1.0, ...(settings.voice ?? {}) },
  };
}

function drawVoice(context) {
  const element = $("voice-path");
  const voice = context.voice;
  if (!element || !voice) return;
  const path = voice.path();
  window.hallQueue.voicePath = path;
  let label;
  let state;
  if (!voice.settings.enabled) {
    label = t("voice_off");
    state = "off";
  } else {
    label = t(`voice_${path}`);
    state = path;
    if (!voice.announcer) label += ` · ${t("voice_standby")}`;
  }
  element.textContent = label;
  element.dataset.path = state;
  element.dataset.announcer = String(voice.announcer);
  const tap = $("tap-for-voice");
  if (tap) {
    tap.hidden = !(voice.locked && voice.speaking());
    tap.textContent = t("tap_for_voice");
  }
}

function block(message) {
  const blocked = $("token-error");
  blocked.hidden = false;
  $("token-error-message").textContent = message;
  for (const selector of ["main", ".connecting", '[data-testid="offline-badge"]']) {
    const element = document.querySelector(selector);
    if (element) element.hidden = true;
  }
  document.querySelector(".connecting")?.remove();
}

function unblock() {
  $("token-error").hidden = true;
}
