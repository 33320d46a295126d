// What a screen knows of its hall: built from a subscribe snapshot, then kept current
// by applying hall events one by one (docs/socket-events.md). Pure state, no DOM.

const CALL_EVENTS = new Set(["ticket_called", "ticket_recalled"]);
// Events that free the window of the ticket it held.
const RELEASING = new Set(["service_finished", "ticket_no_show", "ticket_transferred", "ticket_suspended"]);

export function isCall(event) {
  return CALL_EVENTS.has(event.type);
}

export class HallModel {
  constructor() {
    this.reset();
  }

  /** Forget everything (a refused token shows no data). */
  reset() {
    this.loaded = false;
    this.hall = { code: null, name: "", timezone: "Asia/Shanghai", notice: "" };
    this.zones = [];
    this.queues = new Map(); // code -> {code, prefix, name, waiting}
    this.windows = new Map(); // number -> {number, name, zone, status, clerk, ticket, ticket_status, queues}
    this.calls = new Map(); // window number -> {number, window, at, seq, texts, recall}
  }

  load(snapshot) {
    const known = this.calls;
    this.loaded = true;
    this.hall = { ...snapshot.hall };
    this.zones = snapshot.zones ?? [];
    this.queues = new Map((snapshot.queues ?? []).map((q) => [q.code, { ...q }]));
    this.windows = new Map((snapshot.windows ?? []).map((w) => [w.number, { ...w }]));
    this.calls = new Map(
      (snapshot.recent_calls ?? []).map((c) => {
        // keep what this page saw live of the same call (its seq, a recall's texts)
        const seen = known.get(c.window);
        if (seen && seen.number === c.number) return [c.window, seen];
        const call = { number: c.number, window: c.window, at: c.called_at, seq: null, texts: c.texts ?? null };
        return [c.window, { ...call, recall: false }];
      }),
    );
  }

  /** Apply one hall event. Returns what the page should do about it: `call` (a call to
   * draw and announce), `reload` (the hall's configuration changed: subscribe for a
   * fresh snapshot). Every ticket event carries its queues' waiting counts. */
  apply(event) {
    const outcome = { call: null, reload: false };
    if (event.waiting) {
      for (const [code, count] of Object.entries(event.waiting)) {
        const queue = this.queues.get(code);
        if (queue) queue.waiting = count;
      }
    }
    const number = event.window?.number;
    const window = number !== undefined ? this._window(event.window) : null;
    switch (event.type) {
      case "ticket_called":
      case "ticket_recalled": {
        const call = {
          number: event.ticket.number,
          window: number,
          at: event.at,
          seq: event.seq,
          texts: event.texts ?? { "zh-CN": event.text },
          speech: event.speech ?? null,
          recall: Boolean(event.recall),
        };
        this.calls.set(number, call);
        Object.assign(window, { ticket: event.ticket.number, ticket_status: "called" });
        outcome.call = call;
        break;
      }
      case "service_started":
      case "ticket_resumed":
        Object.assign(window, { ticket: event.ticket.number, ticket_status: event.ticket.status });
        break;
      case "window_opened":
      case "window_paused":
      case "window_resumed":
      case "window_closed":
        for (const key of ["status", "clerk", "ticket", "ticket_status"]) {
          if (key in event.window) window[key] = event.window[key];
        }
        break;
      case "ticket_cancelled":
      case "ticket_expired":
        for (const w of this.windows.values()) {
          if (w.ticket === event.ticket.number) Object.assign(w, { ticket: null, ticket_status: null });
        }
        break;
      case "notice_changed":
        this.hall.notice = event.notice ?? "";
        break;
      case "hall_updated":
        this.hall.name = event.name ?? this.hall.name;
        outcome.reload = true;
        break;
      default:
        if (RELEASING.has(event.type) && window && window.ticket === event.ticket?.number) {
          Object.assign(window, { ticket: null, ticket_status: null });
        }
    }
    return outcome;
  }

  _window(brief) {
    let window = this.windows.get(brief.number);
    if (!window) {
      window = { number: brief.number, name: brief.name, zone: brief.zone, status: "open", queues: [] };
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

  /** The latest call of each window in `zone`, newest first, at most `rows`. */
  latestCalls(zone, rows) {
    const numbers = new Set(this.windowsIn(zone).map((w) => w.number));
    return [...this.calls.values()]
      .filter((call) => numbers.has(call.window))
      .sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0) || Date.parse(b.at) - Date.parse(a.at))
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
