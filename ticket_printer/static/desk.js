// The guidance desk (导办台): find an item by pinyin, name or code, pick it, set a
// priority class and an optional ID number, issue, see the ticket and its printed
// preview, cancel it if it was a mistake. Keyboard first (keys.js); live waiting counts
// and estimates over Socket.IO with the guide's session (link.js, model.js of the screens).
//
// Diagnostics for the browser tests: window.hallQueue.

import { Translator } from "/pages/static/i18n.js";
import { Api, currentSession, signInAddress } from "/pages/static/session.js";
import { ScreenLink } from "/screens/static/link.js";
import { HallModel } from "/screens/static/model.js";
import { entriesOf, search, target } from "./catalogue.js";
import { liveFigures } from "./estimate.js";
import { IssueKeys } from "./idempotency.js";
import { checkIdNumber } from "./idnumber.js";
import { deskKey, keyName } from "./keys.js";
import { drawPrintState } from "./printing.js";
import { problemKey, worthRetrying } from "./problems.js";
import { DESK_WORDS, PRIORITY_CLASSES } from "./words.js";

const CATALOGUE_REFRESH_MS = 60000; // issuing hours open and close by the clock
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const words = new Translator(DESK_WORDS, { storageKey: "hallQueue.staffLanguage" });
const t = (key, params) => words.t(key, params);

const page = {
  state: "search",
  hall: null,
  user: null,
  api: null,
  catalogue: null,
  entries: [],
  results: [],
  highlighted: 0,
  choice: null, // the entry picked
  priority: 0, // index into PRIORITY_CLASSES + 1; 0 = none
  ticket: null, // the ticket just issued
  printState: null,
  model: new HallModel(),
  link: null,
  keys: new IssueKeys(),
};

const diagnostics = {
  get state() {
    return page.state;
  },
  get hall() {
    return page.hall;
  },
  get results() {
    return page.results.map((entry) => `${entry.kind}:${entry.code}`);
  },
  get choice() {
    return page.choice ? `${page.choice.kind}:${page.choice.code}` : null;
  },
  get ticket() {
    return page.ticket;
  },
  get idNumberKept() {
    return $("id-number").value !== "" || page.keys.pending !== null;
  },
  link: "connecting",
  loaded: false,
  issueRequests: 0,
  lastMessage: null,
  /** For the browser tests until print jobs exist: draw a print job's state. */
  setPrintState(state) {
    page.printState = state;
    drawTicket();
  },
};
window.hallQueue = diagnostics;

// ---- drawing -------------------------------------------------------------------------

function element(tag, className, text, testid) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  if (testid) node.dataset.testid = testid;
  return node;
}

function queueOf(code) {
  return page.catalogue?.queues.find((queue) => queue.code === code) ?? null;
}

function figures(queue) {
  return liveFigures(queue, page.model);
}

function waitText(minutes) {
  return minutes > 0 ? t("wait_about", { n: minutes }) : t("no_wait");
}

/** A queue's state as a badge: full, not issuing, or nothing. */
function badge(queue, live) {
  if (live.full) return element("span", "badge alert", t("queue_full_badge"), "badge-full");
  if (!live.issuing) return element("span", "badge warn", t("closed_badge"), "badge-closed");
  return null;
}

function queueLine(queue) {
  const live = figures(queue);
  const line = element("span", "figures");
  line.append(
    element("span", "waiting", t("waiting_n", { n: live.waiting }), "waiting"),
    element("span", "estimate", waitText(live.estimatedWaitMinutes), "estimate"),
  );
  const state = badge(queue, live);
  if (state) line.append(state);
  return line;
}

function drawResults() {
  const list = $("results");
  list.replaceChildren(
    ...page.results.map((entry, index) => {
      const row = element("li", "result", undefined, "result");
      row.dataset.kind = entry.kind;
      row.dataset.code = entry.code;
      row.setAttribute("role", "option");
      row.setAttribute("aria-selected", String(index === page.highlighted));
      row.classList.toggle("highlighted", index === page.highlighted);
      const queue = queueOf(entry.queue);
      const head = element("span", "result-head");
      head.append(element("span", `kind kind-${entry.kind}`, t(`kind_${entry.kind}`)), element("span", "name", entry.name, "result-name"));
      const meta = element("span", "result-meta");
      if (entry.kind !== "queue" && queue) meta.append(element("span", "queue-name", queue.name));
      meta.append(element("span", "initials", entry.initials));
      if (queue) meta.append(queueLine(queue));
      row.append(head, meta);
      row.addEventListener("click", () => {
        page.highlighted = index;
        handle({ key: "Enter" });
        $("search").focus();
      });
      return row;
    }),
  );
  const query = $("search").value.trim();
  $("search-hint").textContent = !query
    ? t("search_hint")
    : page.results.length
      ? t("results_n", { n: page.results.length })
      : t("no_match", { q: query });
  $("search-hint").dataset.state = query && !page.results.length ? "none" : "some";
  list.querySelector(".highlighted")?.scrollIntoView({ block: "nearest" });
}

function drawChoice() {
  const box = $("choice");
  box.replaceChildren();
  box.dataset.empty = String(!page.choice);
  box.classList.toggle("active", page.state === "confirm" || page.state === "issuing");
  if (!page.choice) {
    box.append(element("p", "empty", t("choose_first")));
  } else {
    const entry = page.choice;
    const queue = queueOf(entry.queue);
    const head = element("div", "choice-head");
    head.append(element("span", `kind kind-${entry.kind}`, t(`kind_${entry.kind}`)), element("span", "choice-name", entry.name, "choice-name"));
    box.append(head);
    if (queue) {
      const live = figures(queue);
      const info = element("div", "choice-queue", undefined, "choice-queue");
      info.dataset.queue = queue.code;
      info.append(
        element("span", "prefix", queue.prefix),
        element("span", "queue-name", queue.name),
        element("span", "waiting", t("waiting_n", { n: live.waiting }), "choice-waiting"),
        element("span", "estimate", waitText(live.estimatedWaitMinutes), "choice-estimate"),
        element("span", "remaining", t("remaining_n", { n: live.remaining })),
      );
      const state = badge(queue, live);
      if (state) info.append(state);
      box.append(info);
      const hours = queue.issuing_hours.length ? t("hours", { hours: queue.issuing_hours.join("、") }) : t("no_hours_today");
      box.append(element("p", "hours", hours));
    }
  }
  const issue = $("issue");
  issue.disabled = !page.choice || page.state === "issuing";
  issue.textContent = page.state === "issuing" ? t("issuing") : t("issue_button");
}

function drawPriority() {
  const options = $("priority-options");
  const classes = ["none", ...PRIORITY_CLASSES];
  const allowed = page.choice ? queueOf(page.choice.queue)?.priority_calls !== false : true;
  options.replaceChildren(
    ...classes.map((name, index) => {
      const button = element("button", "priority-option", `${index === 0 ? "" : `${index} `}${t(`priority_${name}`)}`);
      button.type = "button";
      button.dataset.testid = `priority-${name}`;
      button.dataset.priority = name;
      button.setAttribute("aria-pressed", String(index === page.priority));
      button.classList.toggle("active", index === page.priority);
      button.disabled = index > 0 && !allowed;
      button.addEventListener("click", () => {
        setPriority(index);
        $("search").focus();
      });
      return button;
    }),
  );
}

function drawQueues() {
  if (!page.catalogue) return;
  $("queues").replaceChildren(
    ...page.catalogue.queues.map((queue) => {
      const live = figures(queue);
      const row = element("li", "queue-row", undefined, "queue-row");
      row.dataset.queue = queue.code;
      row.append(
        element("span", "prefix", queue.prefix),
        element("span", "queue-name", queue.name),
        element("span", "waiting", t("people", { n: live.waiting }), "queue-waiting"),
        element("span", "estimate", waitText(live.estimatedWaitMinutes), "queue-estimate"),
      );
      const state = badge(queue, live);
      if (state) row.append(state);
      row.classList.toggle("unavailable", live.full || !live.issuing);
      return row;
    }),
  );
}

function drawTicket() {
  const box = $("issued");
  const ticket = page.ticket;
  box.hidden = !ticket;
  if (!ticket) return;
  $("issued-number").textContent = ticket.number;
  const name = page.entries.find((e) => e.kind !== "queue" && e.code === (ticket.item ?? ticket.bundle))?.name;
  $("issued-queue").textContent = name ? `${ticket.queue_name} · ${name}` : ticket.queue_name;
  const lines = [];
  if (ticket.people_ahead !== undefined) {
    lines.push(ticket.people_ahead > 0 ? t("people_ahead", { n: ticket.people_ahead }) : t("next_one"));
    if (ticket.estimated_wait_minutes > 0) lines.push(t("estimated", { n: ticket.estimated_wait_minutes }));
  }
  if (ticket.priority) lines.push(t(`priority_${ticket.priority}`));
  $("issued-figures").textContent = lines.join(" · ");
  drawPrintState($("print-state"), page.printState, t);
  const cancelled = ticket.status === "cancelled";
  $("issued-status").hidden = !cancelled;
  $("issued-status").textContent = cancelled ? t("cancelled", { number: ticket.number }) : "";
  box.classList.toggle("cancelled", cancelled);
  $("cancel").hidden = cancelled;
  $("cancel-form").hidden = page.state !== "cancelling";
  const preview = $("preview");
  const source = `/desk/tickets/${ticket.id}/preview.png?language=${words.current}`;
  if (preview.dataset.source !== source) {
    preview.dataset.source = source;
    preview.src = source;
    preview.alt = `${ticket.number}`;
  }
}

function drawIdHint() {
  const raw = $("id-number").value;
  const checked = checkIdNumber(raw);
  const hint = $("id-hint");
  hint.dataset.state = !raw.trim() ? "empty" : checked.ok ? "ok" : "bad";
  hint.textContent = !raw.trim() ? "" : checked.ok ? t("id_ok") : t(`msg_bad_id_${checked.error}`);
}

function say(key, detail = null, tone = "alert") {
  const box = $("desk-message");
  box.hidden = !key;
  box.dataset.tone = tone;
  box.dataset.key = key ?? "";
  $("message-title").textContent = key ? t(key) : "";
  $("message-detail").textContent = detail ?? "";
  diagnostics.lastMessage = key;
}

function drawLink() {
  const state = diagnostics.link;
  const badgeElement = $("link-state");
  badgeElement.dataset.state = state;
  badgeElement.textContent = t(state === "refused" ? "offline" : state);
}

function drawAll() {
  words.translate();
  drawLink();
  drawResults();
  drawChoice();
  drawPriority();
  drawQueues();
  drawTicket();
  drawIdHint();
  document.body.dataset.state = page.state;
}

// ---- what the keys do ----------------------------------------------------------------

function setPriority(index) {
  const allowed = page.choice ? queueOf(page.choice.queue)?.priority_calls !== false : true;
  page.priority = allowed ? index : 0;
  drawPriority();
}

function runSearch() {
  page.results = search(page.entries, $("search").value, 30);
  page.highlighted = 0;
  drawResults();
}

function handle(input) {
  const { state, action, priority } = deskKey(page.state, input, page.results.length);
  page.state = state;
  switch (action) {
    case "move-down":
      page.highlighted = Math.min(page.highlighted + 1, Math.max(page.results.length - 1, 0));
      break;
    case "move-up":
      page.highlighted = Math.max(page.highlighted - 1, 0);
      break;
    case "pick":
      page.choice = page.results[page.highlighted];
      say(null);
      if (queueOf(page.choice.queue)?.priority_calls === false) page.priority = 0;
      break;
    case "no-match":
      break;
    case "clear":
      $("search").value = "";
      page.results = [];
      page.choice = null;
      page.priority = 0;
      $("id-number").value = "";
      say(null);
      $("search").focus();
      break;
    case "back":
      $("search").focus();
      break;
    case "priority":
      setPriority(priority);
      break;
    case "focus-id":
      $("id-number").focus();
      break;
    case "issue":
      issue();
      break;
    case "start-cancel":
      $("cancel-form").hidden = false;
      $("cancel-reason").focus();
      break;
    case "cancel":
      cancel();
      break;
    case "keep":
      $("search").focus();
      break;
    default:
      break;
  }
  drawAll();
  return action;
}

// ---- talking to the server -----------------------------------------------------------

function toSignIn() {
  location.assign(signInAddress("/desk"));
}

async function issue() {
  say(null);
  const checked = checkIdNumber($("id-number").value);
  if (!checked.ok) {
    handle({ event: "refused" });
    say("msg_bad_id", t(`msg_bad_id_${checked.error}`));
    $("id-number").focus();
    return;
  }
  const request = { ...target(page.choice) };
  if (page.priority > 0) request.priority = PRIORITY_CLASSES[page.priority - 1];
  if (checked.value) request.id_number = checked.value;
  const key = page.keys.keyFor(request);
  diagnostics.issueRequests += 1;
  const answer = await page.api.post(`/halls/${page.hall}/tickets`, request, { "Idempotency-Key": key });
  if (answer.ok) {
    page.keys.settled();
    $("id-number").value = ""; // the ID number is not kept on the page after issuing
    page.ticket = answer.data;
    page.printState = null;
    page.choice = null;
    page.priority = 0;
    $("search").value = "";
    page.results = [];
    handle({ event: "issued" });
    $("search").focus();
    return;
  }
  if (!worthRetrying(answer)) page.keys.settled();
  const key2 = problemKey(answer);
  if (key2 === "session_ended") {
    toSignIn();
    return;
  }
  handle({ event: "refused" });
  say(`msg_${key2}`, answer.problem?.detail ?? null);
  if (key2 === "bad_id") $("id-number").focus();
  else $("search").focus();
}

async function cancel() {
  const reason = $("cancel-reason").value.trim();
  if (!reason) {
    say("cancel_needs_reason", null, "warn");
    $("cancel-reason").focus();
    return;
  }
  const answer = await page.api.post(`/halls/${page.hall}/tickets/${page.ticket.id}/cancel`, { reason });
  if (answer.ok) {
    page.ticket = { ...page.ticket, ...answer.data };
    $("cancel-reason").value = "";
    page.state = "issued";
    say(null);
    drawAll();
    $("search").focus();
    return;
  }
  if (problemKey(answer) === "session_ended") {
    toSignIn();
    return;
  }
  handle({ event: "cancel-refused" });
  say("msg_failed", answer.problem?.detail ?? t("msg_network"));
}

async function loadCatalogue() {
  const answer = await page.api.get(`/halls/${page.hall}/catalogue`);
  if (!answer.ok) {
    if (problemKey(answer) === "session_ended") toSignIn();
    return false;
  }
  page.catalogue = answer.data;
  page.entries = entriesOf(answer.data);
  $("hall-name").textContent = answer.data.hall.name;
  if (page.choice) page.choice = page.entries.find((e) => e.kind === page.choice.kind && e.code === page.choice.code) ?? null;
  if ($("search").value) page.results = search(page.entries, $("search").value, 30);
  drawAll();
  return true;
}

function connect() {
  page.link = new ScreenLink(
    null,
    {
      state(state) {
        diagnostics.link = state;
        drawLink();
        if (state === "refused") toSignIn(); // the session ended: sign in again
      },
      needsSnapshot() {
        return !page.model.loaded;
      },
      subscribed(data, { snapshot }) {
        if (snapshot) page.model.load(snapshot);
        drawAll();
      },
      event(event) {
        if (!page.model.loaded) return;
        const outcome = page.model.apply(event);
        if (event.type === "ticket_issued" && page.catalogue && event.seq > page.catalogue.seq) {
          const queue = queueOf(event.ticket?.queue);
          if (queue && event.service_day === page.catalogue.service_day) queue.issued += 1;
        }
        if (event.type === "ticket_cancelled" && page.ticket && event.ticket?.id === page.ticket.id) {
          page.ticket = { ...page.ticket, status: "cancelled" };
        }
        if (outcome.reload) {
          page.link.resubscribe({ snapshot: true });
          loadCatalogue();
        }
        drawAll();
      },
    },
    { hall: page.hall },
  );
}

// ---- start ---------------------------------------------------------------------------

function keydown(event) {
  const name = keyName(event);
  const inReason = event.target === $("cancel-reason");
  if (inReason && !["Enter", "Escape"].includes(name)) return;
  const handled = new Set(["Enter", "Escape", "ArrowUp", "ArrowDown"]);
  const alt = /^Alt\+[0-4ICic]$/.test(name);
  if (!handled.has(name) && !alt) return;
  if (event.isComposing) return; // an input method is choosing characters: Enter is its own
  event.preventDefault();
  handle({ key: name.replace(/^Alt\+([a-z])$/, (_, letter) => `Alt+${letter.toUpperCase()}`) });
}

async function start() {
  words.translate();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      words.set(button.dataset.lang);
      drawAll();
      $("search").focus();
    });
  }
  const session = await currentSession(new Api());
  if (!session) {
    toSignIn();
    return;
  }
  page.user = session.user;
  page.api = new Api({ csrf: session.csrf_token });
  const halls = await page.api.get("/halls");
  const wanted = new URLSearchParams(location.search).get("hall");
  const listed = halls.ok ? halls.data.halls : [];
  page.hall = (wanted ? listed.find((hall) => hall.code === wanted) : listed[0])?.code ?? null;
  if (!page.hall) {
    // ?hall= names a hall this account may not see (or none exists): say so, show nothing
    $("loading").hidden = true;
    $("desk-error").hidden = false;
    $("desk-error").textContent = wanted ? t("unknown_hall", { hall: wanted }) : t("no_hall");
    return;
  }
  if (!(await loadCatalogue())) return;
  connect();
  setInterval(loadCatalogue, CATALOGUE_REFRESH_MS);
  $("loading").hidden = true;
  $("desk-main").hidden = false;
  diagnostics.loaded = true;
  document.addEventListener("keydown", keydown);
  $("search").addEventListener("input", () => {
    handle({ typed: true });
    runSearch();
    drawChoice();
  });
  $("id-number").addEventListener("input", drawIdHint);
  $("issue").addEventListener("click", () => {
    page.state = "confirm";
    handle({ key: "Enter" });
  });
  $("cancel").addEventListener("click", () => handle({ key: "Alt+C" }));
  $("cancel-confirm").addEventListener("click", () => handle({ key: "Enter" }));
  $("sign-out").addEventListener("click", async () => {
    await page.api.request("DELETE", "/session");
    toSignIn();
  });
  drawAll();
  $("search").focus();
}

start();
