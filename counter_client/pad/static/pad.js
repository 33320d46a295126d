// The review pad (评价器) at one window (docs/pad.md). Idle, it shows the window and the
// clerk as the hall displays them, with a welcome. When the window finishes a ticket the
// server invites its rating here (`rating_requested`, or the subscribe answer's `rating`
// after a reconnect): the ticket's number, five large levels, the hall file's reasons for
// the level touched, optional text, submit; thanks; back to idle. The invitation ends when
// the server says so (`rating_closed`) or when the countdown it gave runs out here; the
// page then says the ticket's QR code still rates on a phone.
//
// Touch only. zh-CN first, zh-TW and English; each citizen starts in zh-CN again. The page
// is the citizen's: nothing starts chosen, and nothing but a touch on it chooses.
// Diagnostics for the browser tests: window.hallQueue.

import { Translator } from "/pages/static/i18n.js";
import { Api } from "/pages/static/session.js";
import { element } from "/screens/static/dom.js";
import { deviceToken, ScreenLink } from "/screens/static/link.js";
import { HallModel } from "/screens/static/model.js";
import { face } from "./faces.js";
import { PadFlow, secondsLeft } from "./flow.js";
import { LEVELS } from "./rating.js";
import { PAD_WORDS } from "./words.js";

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const words = new Translator(PAD_WORDS); // not kept: every citizen starts in zh-CN
const t = (key, params) => words.t(key, params);
const TICK_MS = 250;

const pad = {
  hall: null,
  window: null, // this pad's window number (the subscribe answer's scope)
  api: null,
  link: null,
  model: new HallModel(),
  flow: null,
  ticker: null,
};

const diagnostics = {
  state: "connecting",
  get screen() {
    return pad.flow?.state ?? "idle";
  },
  get ticket() {
    return pad.flow?.invitation?.ticket?.number ?? null;
  },
  get level() {
    return pad.flow?.level ?? null;
  },
  get language() {
    return words.current;
  },
  secondsLeft: null,
  submits: 0,
  lastMessage: null,
};
window.hallQueue = diagnostics;

// ---- drawing ---------------------------------------------------------------------------

function drawIdle() {
  const window = pad.model.loaded ? pad.model.windows.get(pad.window) : null;
  $("window-number").textContent = pad.window !== null ? t("window_n", { n: pad.window }) : "";
  $("window-name").textContent = window?.name ?? "";
  const open = window && window.status !== "closed";
  const clerk = open ? window.clerk : null;
  const number = open ? window.clerk_number : null;
  $("clerk-card").hidden = !clerk && !number;
  $("clerk-name").textContent = clerk ?? "";
  $("clerk-name").hidden = !clerk;
  $("clerk-number").textContent = number ? t("staff_number", { n: number }) : "";
  $("clerk-number").hidden = !number;
  const paused = !open || window.status === "paused";
  $("welcome").textContent = paused ? t("paused") : t("welcome");
  $("welcome-hint").textContent = paused ? "" : t("welcome_hint");
}

function drawLevels() {
  const flow = pad.flow;
  for (const button of $("levels").querySelectorAll("[data-level]")) {
    const chosen = button.dataset.level === flow.level;
    button.classList.toggle("chosen", chosen);
    button.setAttribute("aria-pressed", String(chosen));
    button.disabled = flow.sending;
    button.querySelector(".level-label").textContent = t(`level_${button.dataset.level}`);
  }
  $("levels").classList.toggle("has-choice", flow.level !== null);
}

function drawRating() {
  const flow = pad.flow;
  if (flow.state !== "rating") return;
  $("ticket-number").textContent = flow.invitation.ticket.number;
  // whom the citizen rates: the clerk who finished the ticket, as the invitation names them
  const clerk = flow.invitation.clerk;
  const key = clerk?.staff_number ? "served_by_number" : "served_by";
  const servedBy = clerk?.name ? t(key, { name: clerk.name, n: clerk.staff_number }) : "";
  $("served-by").textContent = servedBy;
  $("served-by").hidden = !servedBy;
  drawLevels();
  $("details").hidden = flow.level === null;
  const offered = flow.offered;
  $("reasons-title").hidden = offered.length === 0;
  $("reasons").replaceChildren(
    ...offered.map((reason) => {
      const chip = element("button", "reason", reason, "reason");
      chip.type = "button";
      chip.dataset.reason = reason;
      const on = flow.reasons.includes(reason);
      chip.classList.toggle("chosen", on);
      chip.setAttribute("aria-pressed", String(on));
      chip.disabled = flow.sending;
      chip.addEventListener("click", () => flow.toggle(reason));
      return chip;
    }),
  );
  const text = $("text");
  if (text.dataset.ref !== flow.ref) {
    text.value = ""; // a new citizen: nothing of the last one's words
    text.dataset.ref = flow.ref;
  }
  text.disabled = flow.sending;
  const message = flow.message;
  $("message").hidden = !message;
  $("message").dataset.key = message?.key ?? "";
  $("message").textContent = message ? t(message.key, { detail: message.detail ?? "" }) : "";
  $("submit").textContent = flow.sending ? t("rate_sending") : t("rate_submit");
  $("submit").disabled = flow.sending;
  $("submit").classList.toggle("ready", flow.level !== null);
  drawCountdown();
}

function drawCountdown() {
  const flow = pad.flow;
  if (flow.state !== "rating" || !pad.link) {
    diagnostics.secondsLeft = null;
    return;
  }
  const { closes_at: closesAt, timeout_seconds: most } = flow.invitation;
  const left = secondsLeft(closesAt, pad.link.serverNow(), most ?? Infinity);
  diagnostics.secondsLeft = left;
  $("countdown").textContent = t("countdown", { n: left });
  $("countdown").classList.toggle("soon", left <= 10);
  if (left === 0) flow.expired();
}

function drawThanks() {
  const given = pad.flow.given;
  if (pad.flow.state !== "thanks" || !given) return;
  $("thanks-face").replaceChildren(face(given.level));
  $("thanks-given").textContent = t("rated", { label: t(`level_${given.level}`) });
}

function drawEnded() {
  const ended = pad.flow.ended;
  if (pad.flow.state !== "ended" || !ended) return;
  const number = pad.flow.invitation?.ticket?.number ?? "";
  $("ended").dataset.key = ended.key;
  if (ended.key === "already_rated") {
    $("ended-title").textContent = t("refused_already_rated");
    $("ended-detail").textContent = t("ended_rated_detail", { number });
    $("ended-qr").textContent = "";
  } else {
    $("ended-title").textContent = t("ended_closed", { number });
    $("ended-detail").textContent = "";
    $("ended-qr").textContent = t("ended_qr");
  }
}

function draw() {
  words.translate();
  const state = pad.flow.state;
  $("pad-main").dataset.state = state;
  drawIdle();
  drawRating();
  drawThanks();
  drawEnded();
  diagnostics.lastMessage = pad.flow.message?.key ?? pad.flow.ended?.key ?? null;
  const ticking = state === "rating";
  if (ticking && pad.ticker === null) pad.ticker = setInterval(drawCountdown, TICK_MS);
  if (!ticking && pad.ticker !== null) {
    clearInterval(pad.ticker);
    pad.ticker = null;
  }
}

// ---- touches ---------------------------------------------------------------------------

async function submit() {
  const body = pad.flow.body();
  if (!body) return;
  diagnostics.submits += 1;
  const answer = await pad.api.post(`/halls/${encodeURIComponent(pad.hall)}/ratings`, body);
  pad.flow.answered(answer, body.ticket_ref);
}

function buildLevels() {
  $("levels").replaceChildren(
    ...LEVELS.map((level) => {
      const button = element("button", `level level-${level}`, undefined, "level");
      button.type = "button";
      button.dataset.level = level;
      button.append(face(level), element("span", "level-label"));
      button.addEventListener("click", () => pad.flow.choose(level));
      return button;
    }),
  );
}

// ---- start -----------------------------------------------------------------------------

function block(message) {
  $("token-error").hidden = false;
  $("token-error-message").textContent = message;
  $("pad-main").hidden = true;
  document.querySelector(".connecting")?.remove();
  diagnostics.state = "refused";
}

async function start() {
  words.translate();
  const token = deviceToken();
  if (!token) {
    block(t("token_missing"));
    return;
  }
  pad.api = new Api({ bearer: token });
  const who = await pad.api.get("/session");
  if (!who.ok) {
    block(who.status === 401 ? t("token_refused") : t("network_start"));
    if (who.network || who.status >= 500) setTimeout(() => location.reload(), 10000);
    return;
  }
  if (who.data.user.role !== "review_pad") {
    block(t("wrong_kind"));
    return;
  }
  pad.flow = new PadFlow({
    onChange() {
      if (pad.flow.state === "idle") words.set("zh-CN"); // the next citizen starts in Simplified Chinese
      draw();
    },
  });
  buildLevels();
  pad.link = new ScreenLink(token, {
    state(state, detail) {
      diagnostics.state = state;
      if (state === "refused") {
        block(detail || t("token_refused"));
        return;
      }
      $("offline-badge").hidden = state !== "offline";
      $("offline-badge").textContent = t("offline");
    },
    needsSnapshot() {
      return !pad.model.loaded;
    },
    subscribed(data, { snapshot }) {
      if (snapshot) pad.model.load(snapshot);
      pad.hall = data.scope?.hall ?? pad.hall;
      pad.window = data.scope?.window ?? pad.window;
      $("token-error").hidden = true;
      $("pad-main").hidden = false;
      document.querySelector(".connecting")?.remove();
      pad.flow.synced(data.rating ?? null);
      draw();
    },
    event(event) {
      if (!pad.model.loaded) return;
      const outcome = pad.model.apply(event);
      if (outcome.reload) pad.link.resubscribe({ snapshot: true });
      drawIdle();
    },
  });
  pad.link.socket.on("rating_requested", (invitation) => pad.flow.invite(invitation));
  pad.link.socket.on("rating_closed", (notice) => pad.flow.closed(notice));

  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      words.set(button.dataset.lang);
      draw();
    });
  }
  $("text").addEventListener("input", () => pad.flow.write($("text").value));
  $("submit").addEventListener("click", submit);
}

start();
