// The citizen's phone page (docs/phone.md): reads the ticket's reference from its own
// address, shows the ticket's progress from GET …/api/v1/t/{ref}, then follows it live
// (follow.js) until it is settled; once its service finished, the rating (rate.js). Every
// address is relative to where the page was served, so that a gateway may serve the hall
// under a path of its own.
//
// The live link (follow.js and the socket client, about 48 KB) is loaded only for a ticket
// not yet settled, and the rating (rate.js, about 13 KB) only once service finished: the
// page stays under 100 KB whichever state it opens in.

import { LANGUAGES, pickLanguage, t } from "./i18n.js";
import { describe, describeProblem, isSettled, withWait } from "./progress.js";

const RETRY_IMPORT_MS = 5000; // a script that did not load (network): tried again

const LANGUAGE_KEY = "hallQueue.phoneLanguage";
const RETRY_FIRST_MS = 2000; // the first load failed (network, server error): 2 s, 4 s … 30 s
const RETRY_MAX_MS = 30000;
const VIBRATION = [300, 150, 300];

const byId = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const path = location.pathname;
const at = path.lastIndexOf("/t/");
const page = {
  base: at >= 0 ? path.slice(0, at) : "", // "" on the server itself, "/queue" behind a gateway's prefix
  ref: decodeURIComponent(path.slice(at + 3).split("/")[0] ?? ""),
  language: pickLanguage(saved(), navigator.languages?.length ? navigator.languages : [navigator.language]),
  view: null,
  problem: null,
  retryAfter: null,
  link: "connecting",
  linkDetail: "",
  follower: null,
  retryMs: RETRY_FIRST_MS,
  alertKey: null,
  updatedAt: null,
};
// What the end-to-end tests read (tests/e2e/test_phone.py); nothing of the page depends on it.
const diagnostics = { state: "loading", view: null, link: "connecting", loads: 0, progresses: 0, waits: 0, vibrations: 0 };
window.hallQueue = diagnostics;

function saved() {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null; // storage may be off (private mode): the browser's language it is
  }
}

function setLanguage(language) {
  page.language = language;
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch {
    // kept for this visit only
  }
  render();
}

// ---- loading and following ----------------------------------------------------------------

async function load() {
  diagnostics.loads += 1;
  try {
    const response = await fetch(`${page.base}/api/v1/t/${encodeURIComponent(page.ref)}`, {
      cache: "no-store",
      credentials: "omit",
    });
    if (response.ok) {
      page.retryMs = RETRY_FIRST_MS;
      show(await response.json());
      follow();
      return;
    }
    const problem = await response.json().catch(() => ({ status: response.status }));
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    showProblem(problem, retryAfter);
    if (response.status === 429) setTimeout(load, (retryAfter ?? 30) * 1000);
    else if (response.status >= 500) retryLoad();
  } catch {
    showProblem(null);
    retryLoad();
  }
}

function retryLoad() {
  setTimeout(load, page.retryMs);
  page.retryMs = Math.min(page.retryMs * 2, RETRY_MAX_MS);
}

async function follow() {
  if (page.follower || page.following || isSettled(page.view)) return;
  page.following = true;
  let io, TicketFollower;
  try {
    [{ io }, { TicketFollower }] = await Promise.all([
      import("../../screens/static/vendor/socket.io.esm.min.js"),
      import("./follow.js"),
    ]);
  } catch {
    setTimeout(follow, RETRY_IMPORT_MS);
    return;
  } finally {
    page.following = false;
  }
  if (page.follower || isSettled(page.view)) return;
  page.follower = new TicketFollower(
    page.ref,
    {
      progress: show,
      wait: (figures) => {
        const view = withWait(page.view, figures);
        if (!view) return;
        page.view = view;
        page.updatedAt = new Date();
        diagnostics.waits += 1;
        render();
      },
      state: (state, detail) => {
        page.link = state;
        page.linkDetail = detail ?? "";
        render();
      },
      problem: (problem) => {
        if (problem?.status !== 404) return; // throttled or failed: the follower tries again
        showProblem(problem); // the ticket is no longer shown (too old now)
        page.follower?.stop();
      },
    },
    { connect: io, path: `${page.base}/socket.io` },
  );
}

function show(view) {
  page.view = view;
  page.problem = null;
  page.updatedAt = new Date();
  diagnostics.progresses += 1;
  if (isSettled(view) && page.follower) {
    page.follower.stop(); // nothing more will happen to it
    page.link = "settled";
  }
  render();
}

function showProblem(problem, retryAfter = null) {
  page.problem = problem ?? { status: 0 };
  page.retryAfter = retryAfter;
  page.view = null;
  render();
}

// ---- drawing ------------------------------------------------------------------------------

function render() {
  const language = page.language;
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(language, element.dataset.i18n);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language));
  }
  const main = byId("ticket");
  let state = "loading";
  let title = t(language, "title");
  byId("hall-name").textContent = title; // until the ticket names its hall
  if (page.view) {
    const view = page.view;
    const shown = describe(view, language);
    state = shown.state;
    byId("hall-name").textContent = view.hall?.name ?? "";
    byId("number").textContent = view.number;
    byId("queue").textContent = view.queue_name;
    const subject = view.bundle
      ? t(language, "bundle", { name: view.bundle.name })
      : view.item
        ? t(language, "item", { name: view.item.name })
        : "";
    text("subject", subject);
    byId("headline").textContent = shown.headline;
    text("detail", shown.detail);
    const lines = byId("window-lines");
    lines.replaceChildren(
      ...shown.lines.map((line) => {
        const p = document.createElement("p");
        p.textContent = line;
        return p;
      }),
    );
    lines.hidden = shown.lines.length === 0;
    byId("figures").hidden = !shown.figures;
    byId("people-ahead").textContent = shown.figures?.ahead ?? "";
    byId("estimated-wait").textContent = shown.figures?.wait ?? "";
    text("day-note", shown.dayNote);
    text("tips", shown.tips);
    drawRating(view.rating, language);
    text("updated", page.updatedAt ? t(language, "updated", { time: clockTime(page.updatedAt) }) : "");
    title = `${view.number} · ${shown.alert ? shown.headline : t(language, "title")}`;
    alertIfNew(view, shown);
  } else if (page.problem) {
    const shown = describeProblem(page.problem, language, page.retryAfter);
    state = shown.state;
    drawRating(null, language);
    byId("problem-headline").textContent = shown.headline;
    byId("problem-detail").textContent = shown.detail;
    title = shown.headline;
  }
  main.dataset.state = state;
  byId("card").hidden = !page.view;
  byId("problem").hidden = Boolean(page.view) || !page.problem;
  byId("loading").hidden = Boolean(page.view || page.problem);
  const offline = Boolean(page.view) && (page.link === "offline" || page.link === "refused");
  const badge = byId("offline");
  badge.hidden = !offline;
  badge.textContent = page.link === "refused" && page.linkDetail ? page.linkDetail : t(language, "offline");
  document.title = title;
  diagnostics.state = state;
  diagnostics.view = page.view;
  diagnostics.link = page.link;
}

function text(testid, value) {
  const element = byId(testid);
  element.textContent = value;
  element.hidden = !value;
}

function clockTime(moment) {
  return moment.toLocaleTimeString(page.language, { hour: "2-digit", minute: "2-digit", hour12: false });
}

/** A new call (or recall): vibrate where the browser allows it, which is after the
 * citizen has touched the page once (browsers refuse vibration before). */
function alertIfNew(view, shown) {
  const key = shown.alert ? `${view.called_at}|${view.recalled}` : null;
  if (key === page.alertKey) return;
  page.alertKey = key;
  if (key === null || !navigator.userActivation?.hasBeenActive || typeof navigator.vibrate !== "function") return;
  if (navigator.vibrate(VIBRATION)) diagnostics.vibrations += 1;
}

/** 好差评 once service has finished (rate.js, loaded then): it posts to
 * …/api/v1/t/{ref}/rating; told the ticket was rated already (on the pad, say), it reads the
 * progress again, which shows the rating given. */
function drawRating(rating, language) {
  if (page.rating) {
    page.rating.draw(rating, language);
    return;
  }
  byId("review").hidden = true;
  if (!rating || page.ratingLoading) return;
  page.ratingLoading = true;
  import("./rate.js")
    .then(({ RatingForm }) => {
      page.rating = new RatingForm(byId, {
        url: `${page.base}/api/v1/t/${encodeURIComponent(page.ref)}/rating`,
        changed: () => render(),
        rated: () => load(),
      });
      render();
    })
    .catch(() => setTimeout(render, RETRY_IMPORT_MS))
    .finally(() => {
      page.ratingLoading = false;
    });
}

// ---- start ------------------------------------------------------------------------------

for (const button of document.querySelectorAll("[data-lang]")) {
  if (LANGUAGES.includes(button.dataset.lang)) button.addEventListener("click", () => setLanguage(button.dataset.lang));
}
render();
load();
