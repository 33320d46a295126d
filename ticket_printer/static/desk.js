// The guidance desk (导办台): find an item by pinyin, name or code, pick it, set a
// priority class and an optional ID number, issue, see the ticket, its printed preview
// and its print job's state live, print it again or cancel it. Check in appointments,
// list today's waiting tickets and find one by number or ID number. Keyboard first
// (keys.js); live waiting counts and estimates over Socket.IO with the guide's session
// (link.js, model.js of the screens); the desk's station (station.js) says where it prints.
//
// This module: the search, the choice, the keys, issuing and cancelling, the catalogue
// and the hall's live link; the other parts are named in desk-page.js. Diagnostics for
// the browser tests: window.hallQueue.

import { Api, currentSession } from "/pages/static/session.js";
import { element } from "/screens/static/dom.js";
import { ScreenLink } from "/screens/static/link.js";
import { entriesOf, search, target } from "./catalogue.js";
import { applyQueueWaits } from "./estimate.js";
import { checkIdNumber } from "./idnumber.js";
import { deskKey, keyName } from "./keys.js";
import { problemKey, worthRetrying } from "./problems.js";
import { PRIORITY_CLASSES } from "./words.js";
import { $, diagnostics, drawAll, drawnBy, figures, page, queueOf, say, t, toSignIn, waitText, words } from "./desk-page.js";
import { checkIn, drawSide, find, listsChanged, loadWaiting, showTab } from "./desk-lists.js";
import { chooseStation, drawStation, saveStation } from "./desk-station.js";
import { drawTicket, jobUpdated, loadPrintJob, reprint, showTicket } from "./desk-ticket.js";

const CATALOGUE_REFRESH_MS = 60000; // issuing hours open and close by the clock

// ---- drawing -------------------------------------------------------------------------

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

function drawIdHint() {
  const raw = $("id-number").value;
  const checked = checkIdNumber(raw);
  const hint = $("id-hint");
  hint.dataset.state = !raw.trim() ? "empty" : checked.ok ? "ok" : "bad";
  hint.textContent = !raw.trim() ? "" : checked.ok ? t("id_ok") : t(`msg_bad_id_${checked.error}`);
}

function drawLink() {
  const state = diagnostics.link;
  const badgeElement = $("link-state");
  badgeElement.dataset.state = state;
  badgeElement.textContent = t(state === "refused" ? "offline" : state);
}

drawnBy(drawLink, drawStation, drawSide, drawResults, drawChoice, drawPriority, drawQueues, drawTicket, drawIdHint);

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
    case "reprint":
      reprint();
      break;
    case "focus-appointment":
      $("appointment").focus();
      $("appointment").select();
      break;
    case "focus-find":
      showTab("waiting");
      $("find").focus();
      $("find").select();
      break;
    default:
      break;
  }
  drawAll();
  return action;
}

// ---- talking to the server -----------------------------------------------------------

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
  if (page.station) request.station = page.station;
  const key = page.keys.keyFor(request);
  diagnostics.issueRequests += 1;
  const answer = await page.api.post(`/halls/${page.hall}/tickets`, request, { "Idempotency-Key": key });
  if (answer.ok) {
    page.keys.settled();
    $("id-number").value = ""; // the ID number is not kept on the page after issuing
    showTicket(answer.data, "issued", answer.data.print_job ?? null);
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
        // print job updates are not replayed: after a reconnect, read the shown one again
        if (page.ticket) loadPrintJob(page.ticket.id);
        listsChanged();
        drawAll();
      },
      event(event) {
        if (!page.model.loaded) return;
        const outcome = page.model.apply(event);
        if (event.type === "ticket_issued" && page.catalogue && event.seq > page.catalogue.seq) {
          const queue = queueOf(event.ticket?.queue);
          if (queue && event.service_day === page.catalogue.service_day) queue.issued += 1;
        }
        if (page.ticket && event.ticket?.id === page.ticket.id && event.ticket.status) {
          page.ticket = { ...page.ticket, status: event.ticket.status };
        }
        if (event.ticket || event.type === "day_started") listsChanged();
        if (outcome.reload) {
          page.link.resubscribe({ snapshot: true });
          loadCatalogue();
        }
        drawAll();
      },
    },
    { hall: page.hall },
  );
  page.link.socket.on("print_job_updated", jobUpdated);
  page.link.socket.on("queue_waits_estimated", (pushed) => {
    if (applyQueueWaits(page.catalogue, pushed)) drawAll();
  });
}

// ---- start ---------------------------------------------------------------------------

function keydown(event) {
  const name = keyName(event);
  if (event.isComposing) return;
  const own = { appointment: checkIn, find, "station-input": saveStation }[event.target?.dataset?.testid];
  if (own && (name === "Enter" || name === "Escape")) {
    // these fields have their own Enter (a scanner ends with one); Esc goes back to the search
    event.preventDefault();
    if (name === "Enter") own();
    else {
      if (event.target === $("station-input")) $("station-form").hidden = true;
      $("search").focus();
    }
    return;
  }
  const inReason = event.target === $("cancel-reason");
  if (inReason && !["Enter", "Escape"].includes(name)) return;
  const handled = new Set(["Enter", "Escape", "ArrowUp", "ArrowDown", "F2", "F3"]);
  const alt = /^Alt\+[0-4ICPicp]$/.test(name);
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
  chooseStation();
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
  $("reprint").addEventListener("click", () => reprint());
  $("check-in").addEventListener("click", () => checkIn());
  $("station-change").addEventListener("click", () => {
    $("station-form").hidden = false;
    $("station-input").value = page.station ?? "";
    $("station-input").focus();
  });
  $("station-save").addEventListener("click", saveStation);
  for (const tab of document.querySelectorAll("[data-tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("waiting-queue").addEventListener("change", () => {
    page.waiting = { queue: $("waiting-queue").value, tickets: [], next: null };
    loadWaiting();
  });
  $("waiting-more").addEventListener("click", () => loadWaiting({ more: true }));
  $("cancel-confirm").addEventListener("click", () => handle({ key: "Enter" }));
  $("sign-out").addEventListener("click", async () => {
    await page.api.request("DELETE", "/session");
    toSignIn();
  });
  drawAll();
  $("search").focus();
}

start();
