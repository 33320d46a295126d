// What a screen knows of its hall: built from a subscribe snapshot, then kept current
// by applying hall events one by one (docs/socket-events.md). Pure state, no DOM.
//
// Two rules shape it (docs/signage.md):
// - current calls only: a window's call is kept while that ticket is still at the window,
//   called or being served; when the ticket leaves, the call goes;
// - one service day: an event of another day never lands on today's figures; a new day
//   drops the old day's calls, tickets and counts at once and asks for a fresh snapshot.

const CALL_EVENTS = new Set(["ticket_called", "ticket_recalled"]);
// Ticket events after which the ticket is no longer at the window the event names.
const LEAVING = new Set(["service_finished", "ticket_no_show", "ticket_transferred", "ticket_suspended"]);
// Ticket events that end a ticket wherever it is (their payload names no window).
const ENDING = new Set(["ticket_cancelled", "ticket_expired"]);
// Window events that carry the window's whole state (status, clerk, ticket).
const WINDOW_EVENTS = new Set([
  "window_opened",
  "window_paused",
  "window_resumed",
  "window_closed",
  "window_released",
]);
// A ticket at a window in one of these states makes that window's call current.
const AT_WINDOW = new Set(["called", "serving"]);

export const DAY_STARTED = "day_started";

export function isCall(event) {
  return CALL_EVENTS.has(event.type);
}

/** Compare two calls, newest first: by sequence number where both have one (a recall is
 * newer than the call it repeats), else by the time of the call. */
export function newestFirst(a, b) {
  if (a.seq !== null && a.seq !== undefined && b.seq !== null && b.seq !== undefined) return b.seq - a.seq;
  return Date.parse(b.at) - Date.parse(a.at);
}

export class HallModel {
  constructor() {
    this.reset();
  }

  /** Forget everything (a refused token shows no data). */
  reset() {
    this.loaded = false;
    this.serviceDay = null; // "2026-11-23": the hall's open service day, as far as this page knows
    this.hall = { code: null, name: "", timezone: "Asia/Shanghai", notice: "" };
    this.zones = [];
    this.queues = new Map(); // code -> {code, prefix, name, waiting}
    this.windows = new Map(); // number -> {number, name, zone, status, clerk, clerk_number, ticket, ticket_status, queues}
    this.calls = new Map(); // window number -> {number, ticket_ref, window, at, seq, texts, speech, recall}
  }

  load(snapshot) {
    const known = this.calls;
    this.loaded = true;
    this.serviceDay = snapshot.service_day ?? null;
    this.hall = { ...snapshot.hall };
    this.zones = snapshot.zones ?? [];
    this.queues = new Map((snapshot.queues ?? []).map((q) => [q.code, { ...q }]));
    this.windows = new Map((snapshot.windows ?? []).map((w) => [w.number, { ...w }]));
    this.calls = new Map();
    for (const c of snapshot.recent_calls ?? []) {
      const call = {
        number: c.number,
        ticket_ref: c.ticket_ref ?? null,
        window: c.window,
        at: c.called_at,
        seq: c.seq ?? null,
        texts: c.texts ?? null,
        speech: null,
        recall: Boolean(c.recall),
      };
      // keep what this page saw live of the same call where the snapshot says less
      // (a server that sends no seq, or the texts of a recall)
      const seen = known.get(c.window);
      const same = seen && seen.number === c.number && (call.seq === null || (seen.seq ?? -1) >= call.seq);
      this.calls.set(c.window, same ? seen : call);
    }
    // An older server lists each window's latest call of the day, finished or not.
    this._dropCallsNotCurrent();
  }

  /** Apply one hall event. Returns what the page should do about it: `call` (a call to
   * draw and announce) and `reload` (subscribe again for a fresh snapshot: the hall's
   * configuration changed, or a new service day began). */
  apply(event) {
    const outcome = { call: null, reload: false };
    if (event.type === DAY_STARTED) {
      this._startDay(event.service_day ?? null);
      outcome.reload = true;
      return outcome;
    }
    const day = event.service_day;
    if (day && this.serviceDay && day !== this.serviceDay) {
      outcome.reload = true;
      if (day < this.serviceDay) {
        // a late event of a day this page has left behind: nothing of it is today's
        this._applyOfOldDay(event);
        return outcome;
      }
      this._startDay(day); // a later day: the old one is over, whether or not we heard so
    } else if (day && !this.serviceDay) {
      this.serviceDay = day;
    }

    if (event.waiting) {
      for (const [code, count] of Object.entries(event.waiting)) {
        const queue = this.queues.get(code);
        if (queue) queue.waiting = count;
      }
    }
    const number = event.window?.number;
    const window = number !== undefined && number !== null ? this._window(event.window) : null;
    const ticket = event.ticket ?? null;
    switch (event.type) {
      case "ticket_called":
      case "ticket_recalled": {
        const call = {
          number: ticket.number,
          ticket_ref: ticket.ref ?? null,
          window: number,
          at: event.at,
          seq: event.seq,
          texts: event.texts ?? { "zh-CN": event.text },
          speech: event.speech ?? null,
          recall: Boolean(event.recall),
        };
        this._takeTicketOffOtherWindows(ticket, number);
        this.calls.set(number, call);
        Object.assign(window, { ticket: ticket.number, ticket_status: "called" });
        outcome.call = call;
        break;
      }
      case "service_started":
      case "ticket_resumed":
        this._takeTicketOffOtherWindows(ticket, number);
        Object.assign(window, { ticket: ticket.number, ticket_status: ticket.status ?? "serving" });
        break;
      case "notice_changed":
        this.hall.notice = event.notice ?? "";
        break;
      case "hall_updated":
        this.hall.name = event.name ?? this.hall.name;
        outcome.reload = true;
        break;
      default:
        if (WINDOW_EVENTS.has(event.type) && window) {
          for (const key of ["status", "clerk", "clerk_number", "ticket", "ticket_status"]) {
            if (key in event.window) window[key] = event.window[key];
          }
          if (event.window.ticket === null) window.ticket_status = null;
        } else if (LEAVING.has(event.type) && window && ticket && window.ticket === ticket.number) {
          Object.assign(window, { ticket: null, ticket_status: null });
        } else if (ENDING.has(event.type) && ticket) {
          this._takeTicketOffOtherWindows(ticket, null);
        }
      // ticket_issued, ticket_returned: only the waiting counts change
    }
    this._dropCallsNotCurrent();
    return outcome;
  }

  /** The day changed: nothing of the old day stays on the screen. Every ticket of it is
   * over (the server expired what was left), so calls, windows' tickets and waiting
   * counts go; the snapshot the page asks for next brings the new day's state. */
  _startDay(day) {
    if (day) this.serviceDay = day;
    this.calls.clear();
    for (const window of this.windows.values()) Object.assign(window, { ticket: null, ticket_status: null });
    for (const queue of this.queues.values()) queue.waiting = 0;
  }

  /** An event of an earlier day than the page's: its waiting counts and calls are not
   * today's; a window it opened, paused or closed is still that window's state. */
  _applyOfOldDay(event) {
    if (WINDOW_EVENTS.has(event.type) && event.window) {
      const window = this._window(event.window);
      for (const key of ["status", "clerk", "clerk_number"]) if (key in event.window) window[key] = event.window[key];
    }
  }

  /** A ticket is at one window at most: called or served at `number` (null: ended), it
   * has left any other window the page still shows it at. */
  _takeTicketOffOtherWindows(ticket, number) {
    for (const w of this.windows.values()) {
      if (w.number !== number && w.ticket === ticket.number) Object.assign(w, { ticket: null, ticket_status: null });
    }
  }

  /** Keep a window's call only while its ticket is still there, called or being served. */
  _dropCallsNotCurrent() {
    for (const [number, call] of this.calls) {
      const window = this.windows.get(number);
      const current = window && window.ticket === call.number && AT_WINDOW.has(window.ticket_status);
      if (!current) this.calls.delete(number);
    }
  }

  _window(brief) {
    let window = this.windows.get(brief.number);
    if (!window) {
      window = {
        number: brief.number,
        name: brief.name,
        zone: brief.zone,
        status: "open",
        clerk: null,
        clerk_number: null,
        ticket: null,
        ticket_status: null,
        queues: [],
      };
      this.windows.set(brief.number, window);
    }
    if (brief.name) window.name = brief.name;
    if (brief.zone) window.zone = brief.zone;
    return window;
  }

  /** Windows in `zone` (null: the whole hall). */
  windowsIn(zone) {
    return [...this.windows.values()].filter((w) => zone === null || zone === undefined || w.zone === zone);
  }

  /** The current call of each window in `zone`, newest first, at most `rows`. */
  latestCalls(zone, rows) {
    const numbers = new Set(this.windowsIn(zone).map((w) => w.number));
    return [...this.calls.values()]
      .filter((call) => numbers.has(call.window))
      .sort(newestFirst)
      .slice(0, rows);
  }

  /** The queues served in `zone`, in the hall's order, with their waiting counts. */
  queuesIn(zone) {
    if (zone === null || zone === undefined) return [...this.queues.values()];
    const served = new Set(this.windowsIn(zone).flatMap((w) => w.queues ?? []));
    return [...this.queues.values()].filter((q) => served.has(q.code));
  }

  zoneName(zone) {
    return this.zones.find((z) => z.code === zone)?.name ?? zone;
  }
}
