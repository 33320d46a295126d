// What the phone page decides, apart from the DOM and the socket (docs/phone.md):
//
// - `describe`: a ticket's progress (GET /api/v1/t/{ref}, `read_progress`) in words;
// - `concerns`: whether a live event of the hall may have changed this ticket's progress;
// - `ProgressTracker`: the hall's sequence numbers, so that no event is ever lost: an
//   event after a gap, or one that came while no progress was in hand, asks for a fresh
//   progress as surely as an event that concerns the ticket;
// - `Refresher`: asks for the progress once per burst of events, never two at a time.
//
// Pure, tested with Node's own runner (tests/js/phone.test.mjs).

import { t } from "./i18n.js";

/** The ticket states after which nothing more happens to it (a no-show may still be
 * called back by number, so it is not among them). */
export const FINAL_STATUSES = new Set(["done", "cancelled", "expired"]);
const ACTIVE_STATUSES = new Set(["waiting", "called", "serving", "suspended"]);

/** Whether the page can stop following the ticket live. */
export function isSettled(view) {
  return Boolean(view) && (view.past_day || FINAL_STATUSES.has(view.status));
}

/**
 * What the page shows for `view` in `language`:
 * `{state, headline, detail, lines, figures, tips, dayNote, alert}` where `state` is the
 * page's `data-state` (the ticket's status, or `past_day`), `lines` are further short
 * lines (window name, clerk), `figures` is `{ahead, wait}` while waiting (else null),
 * `alert` says the citizen must act now (called: highlight, vibrate).
 */
export function describe(view, language) {
  const say = (key, values) => t(language, key, values);
  const window = view.window ?? null;
  const n = window?.number;
  const out = {
    state: view.status,
    headline: "",
    detail: "",
    lines: [],
    figures: null,
    tips: "",
    dayNote: view.past_day ? say("past_day", { day: view.service_day }) : "",
    alert: false,
  };
  if (view.past_day && ACTIVE_STATUSES.has(view.status)) {
    out.state = "past_day";
    out.headline = say("past_day", { day: view.service_day });
    out.detail = `${say("past_day_hint")}；${say("take_new")}`;
    out.dayNote = "";
    return out;
  }
  switch (view.status) {
    case "waiting": {
      const ahead = Number(view.people_ahead ?? 0);
      const target = view.target_window?.number;
      out.headline = ahead === 0 ? say("next_up") : say("waiting");
      if (view.transferred) {
        out.detail = target ? say("transferred_window", { n: target }) : say("transferred_queue", { queue: view.queue_name });
      } else if (view.requeued) {
        out.detail = say("requeued");
      } else if (target) {
        out.detail = say("wait_for_window", { n: target });
      } else {
        out.detail = say("wait_hint");
      }
      if (view.people_ahead !== undefined) {
        const minutes = Number(view.estimated_wait_minutes ?? 0);
        out.figures = {
          ahead: say("people", { n: ahead }),
          wait: minutes <= 0 ? say("soon") : say("minutes", { n: minutes }),
        };
      }
      out.tips = say("tips");
      break;
    }
    case "called":
      out.headline = say("called", { n }) + (view.recalled ? say("recalled") : "");
      out.detail = say("called_hint");
      out.lines = windowLines(view, language);
      out.tips = say("tips");
      out.alert = true;
      break;
    case "serving":
      out.headline = say("serving", { n });
      out.lines = windowLines(view, language);
      break;
    case "suspended":
      out.headline = say("suspended");
      out.detail = say("suspended_hint", { n });
      break;
    case "done":
      out.headline = say("done");
      out.detail = say("done_hint");
      break;
    case "no_show":
      out.headline = say("no_show");
      out.detail = say("no_show_hint");
      break;
    case "cancelled":
      out.headline = say("cancelled");
      out.detail = say("take_new");
      break;
    case "expired":
      out.headline = say("expired");
      out.detail = `${say("expired_hint")}；${say("take_new")}`;
      break;
    default:
      out.headline = String(view.status ?? "");
  }
  return out;
}

/** The window's own name (when it says more than its number) and the clerk's, where the
 * hall shows clerks' names. */
function windowLines(view, language) {
  const lines = [];
  const name = view.window?.name;
  if (name) lines.push(name);
  if (view.clerk) lines.push(t(language, "clerk", { name: view.clerk }));
  return lines;
}

/** What the page shows when there is no progress to show: a refusal or a failure. */
export function describeProblem(problem, language, retryAfter = null) {
  const say = (key, values) => t(language, key, values);
  const code = problem?.code;
  if (code === "ticket_not_found" || (problem?.status === 404 && code !== "ticket_expired")) {
    return { state: "not_found", headline: say("not_found"), detail: say("not_found_hint") };
  }
  if (code === "ticket_expired") {
    return {
      state: "not_found",
      headline: say("too_old"),
      detail: language === "zh-CN" && problem.detail ? problem.detail : say("take_new"),
    };
  }
  if (code === "lookups_throttled" || problem?.status === 429) {
    const seconds = retryAfter ?? problem?.retry_after ?? 60;
    return { state: "throttled", headline: say("throttled"), detail: say("throttled_hint", { n: seconds }) };
  }
  return { state: "unreachable", headline: say("unreachable"), detail: say("unreachable_hint") };
}

/** Whether a live event (the citizen stream's shape: no ticket references) may have
 * changed the progress of the ticket `mine` ({number, queue, service_day, status, window,
 * target_window}). When in doubt, yes: a needless fetch costs little, a missed one
 * leaves the citizen with a wrong count. */
export function concerns(event, mine) {
  if (!mine) return true;
  if (event.service_day && event.service_day !== mine.service_day) return true; // another day began
  const ticket = event.ticket && typeof event.ticket === "object" ? event.ticket : null;
  if (ticket && ticket.number === mine.number) return true; // its own
  if (ticket && ticket.queue === mine.queue) return true; // its line moved
  if (event.waiting && typeof event.waiting === "object" && Object.hasOwn(event.waiting, mine.queue)) return true;
  if (event.from_queue === mine.queue || event.to_queue === mine.queue) return true;
  const at = event.window && typeof event.window === "object" ? event.window.number : undefined;
  if (at !== undefined && (at === mine.window || at === mine.target_window)) return true;
  if (mine.target_window && event.to_window === mine.target_window) return true;
  // a window opening, pausing or closing changes a waiting ticket's estimate; so may a new hall file
  if (!ticket) return mine.status === "waiting";
  return false;
}

/** The progress `view` with the new wait figures the server pushed for its ticket
 * (`wait_estimated`: people ahead, minutes; docs/estimates.md), or null when they do not
 * apply: not this ticket, not its day, or it no longer waits. */
export function withWait(view, figures) {
  if (!view || !figures || view.status !== "waiting" || view.past_day) return null;
  if (figures.number !== view.number || figures.service_day !== view.service_day) return null;
  if (!Number.isInteger(figures.people_ahead) || !Number.isInteger(figures.estimated_wait_minutes)) return null;
  return { ...view, people_ahead: figures.people_ahead, estimated_wait_minutes: figures.estimated_wait_minutes };
}

/** The parts of a progress that `concerns` compares events with. */
export function mineOf(view) {
  return {
    number: view.number,
    queue: view.queue,
    service_day: view.service_day,
    status: view.status,
    window: view.window?.number ?? null,
    target_window: view.target_window?.number ?? null,
  };
}

/**
 * The hall's sequence numbers as the phone sees them. A progress answer carries `seq`,
 * the hall's last event when it was read: every event up to it is in the answer. So:
 * an event at or below the last seq is dropped; one after a gap (a lost or late event,
 * several server processes) or one that concerns the ticket asks for a fresh progress;
 * events that arrive while no progress is in hand (connecting, subscribing) are counted,
 * and the first progress asks again if any was newer than itself.
 */
export class ProgressTracker {
  constructor() {
    this.lastSeq = null; // null: not in sync (before the first answer, after a disconnect)
    this.shownSeq = null; // the seq of the progress on the screen
    this.heldSeq = null; // the newest event seen while not in sync
    this.mine = null;
  }

  /** A live event (`name`: its Socket.IO event name): true when the page must ask for
   * the progress. */
  receive(event, name = undefined) {
    if (!event || typeof event.seq !== "number") return false;
    if (this.lastSeq === null) {
      this.heldSeq = Math.max(this.heldSeq ?? 0, event.seq);
      return false;
    }
    if (event.seq <= this.lastSeq) return false; // in the progress already, or a repeat
    // a `sequence_advanced` stub may stand for a run of numbers, `from` to `seq`
    const first = name === "sequence_advanced" && Number.isInteger(event.from) ? event.from : event.seq;
    const gap = first > this.lastSeq + 1;
    this.lastSeq = event.seq;
    return gap || concerns(event, this.mine);
  }

  /** A progress answer: `{show}` whether to draw it (an answer older than the one shown
   * is not), `{again}` whether an event newer than it came while out of sync. */
  answered(view) {
    const seq = typeof view?.seq === "number" ? view.seq : null;
    if (seq !== null && this.shownSeq !== null && seq < this.shownSeq) return { show: false, again: false };
    this.shownSeq = seq;
    this.mine = mineOf(view);
    const again = this.heldSeq !== null && (seq === null || this.heldSeq > seq);
    this.heldSeq = null;
    if (seq !== null) this.lastSeq = Math.max(this.lastSeq ?? 0, seq);
    return { show: true, again };
  }

  /** The link dropped: out of sync until the next answer. */
  disconnected() {
    this.lastSeq = null;
    this.heldSeq = null;
  }
}

/**
 * Runs `fetch` (returning a promise) once per burst: a request waits `delayMs` for the
 * rest of the burst, and one made while a fetch is on its way runs once more after it,
 * since that fetch may have read the hall before the event that asked.
 */
export class Refresher {
  constructor(fetch, { delayMs = 250, timers = globalThis } = {}) {
    this.fetch = fetch;
    this.delayMs = delayMs;
    this.timers = timers;
    this.timer = null;
    this.inFlight = false;
    this.again = false;
    this.runs = 0;
  }

  request() {
    if (this.timer !== null) return; // the coming fetch covers it
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.timer = this.timers.setTimeout(() => this._run(), this.delayMs);
  }

  cancel() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.again = false;
  }

  _run() {
    this.timer = null;
    this.inFlight = true;
    this.again = false;
    this.runs += 1;
    let done;
    try {
      done = Promise.resolve(this.fetch());
    } catch (error) {
      done = Promise.reject(error);
    }
    done
      .catch(() => {}) // the fetch reports its own failures
      .finally(() => {
        this.inFlight = false;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }
}
