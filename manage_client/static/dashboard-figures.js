// The dashboard's figures, kept from the server's snapshot (GET /api/v1/halls/{hall}/dashboard)
// and the hall's live events, by the rules of queue_server/domain/dashboard.py: a pure
// reducer, no DOM, no clock. A dashboard opened mid-day (a fresh snapshot) and one left
// open since morning (the morning's snapshot and every event since) hold the same figures;
// tests/js/dashboard.test.mjs and tests/integration/test_dashboard.py hold them together.

export const HOURS = 24;
const GOOD_LEVELS = new Set(["very_satisfied", "satisfied"]);
const BAD_LEVELS = new Set(["dissatisfied", "very_dissatisfied"]);
const CITIZEN_CHANNELS = new Set(["pad", "phone"]);
// a window takes a new ticket (its `since` restarts) / lets its ticket go
const TAKES_TICKET = new Set(["ticket_called", "ticket_resumed"]);
const LEAVES_TICKET = new Set(["ticket_no_show", "service_finished", "ticket_transferred", "ticket_suspended"]);
const WINDOW_OWN = new Set(["window_opened", "window_paused", "window_resumed", "window_closed", "window_released"]);

/** The state of a window: serving, idle, paused or closed (domain.dashboard.window_state). */
export function windowState(status, ticket) {
  if (status === "closed") return "closed";
  if (status === "paused") return "paused";
  return ticket ? "serving" : "idle";
}

/** An instant (ISO text) as whole milliseconds, as the server counts waits. */
export function millis(text) {
  return Date.parse(text);
}

const hourFormats = new Map();
/** The hour (0–23) of an instant in the hall's time zone. */
export function localHour(text, timeZone) {
  let format = hourFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", hourCycle: "h23" });
    hourFormats.set(timeZone, format);
  }
  return Number(format.format(new Date(text))) % HOURS;
}

const emptyHours = () => Array.from({ length: HOURS }, () => 0);

/** The state to keep, from a snapshot (the server's answer, not changed). */
export function loadFigures(snapshot) {
  const state = structuredClone(snapshot);
  state.waiting = new Map(); // ticket id -> {queue, issued_at}
  for (const queue of state.queues) {
    for (const ticket of queue.waiting_tickets) state.waiting.set(ticket.id, { queue: queue.code, issued_at: ticket.issued_at });
  }
  return state;
}

function queueOf(state, code) {
  return state.queues.find((queue) => queue.code === code) ?? null;
}

function windowOf(state, number) {
  return state.windows.find((window) => window.number === number) ?? null;
}

function startDay(state, event) {
  state.service_day = event.service_day;
  for (const queue of state.queues) {
    Object.assign(queue, {
      issued_by_hour: emptyHours(),
      served_by_hour: emptyHours(),
      waits: 0,
      wait_total_ms: 0,
      longest_wait_ms: 0,
    });
  }
  state.waiting.clear();
  for (const window of state.windows) {
    Object.assign(window, { status: "closed", clerk: null, clerk_number: null, ticket: null, ticket_id: null });
    Object.assign(window, { ticket_status: null, since: null });
  }
  state.ratings = { finished: 0, rated: 0, citizen_rated: 0, good: 0, bad: 0 };
}

function countTicket(state, event) {
  const ticket = event.ticket;
  const queue = queueOf(state, ticket.queue);
  if (event.type === "ticket_issued" && queue) queue.issued_by_hour[localHour(ticket.issued_at, state.hall.timezone)] += 1;
  if (event.type === "ticket_called" && queue && ticket.first_called_at && ticket.first_called_at === event.at) {
    const wait = millis(ticket.first_called_at) - millis(ticket.issued_at);
    queue.waits += 1;
    queue.wait_total_ms += wait;
    queue.longest_wait_ms = Math.max(queue.longest_wait_ms, wait);
  }
  if (event.type === "service_finished") {
    if (queue) queue.served_by_hour[localHour(event.at, state.hall.timezone)] += 1;
    state.ratings.finished += 1;
  }
  if (ticket.status === "waiting") state.waiting.set(ticket.id, { queue: ticket.queue, issued_at: ticket.issued_at });
  else state.waiting.delete(ticket.id);
}

function moveWindow(state, event) {
  const window = windowOf(state, event.window?.number);
  if (!window) return;
  const ticket = event.ticket;
  if (WINDOW_OWN.has(event.type)) {
    const view = event.window;
    if (event.type === "window_released") Object.assign(window, { status: "closed", ticket: null, ticket_id: null, ticket_status: null });
    if ("status" in view) {
      window.status = view.status;
      window.ticket = view.ticket ?? null;
      window.ticket_id = view.ticket_id ?? null;
      window.ticket_status = view.ticket_status ?? null;
    }
    window.clerk = window.status === "closed" ? null : (view.clerk ?? null);
    window.clerk_number = window.status === "closed" ? null : (view.clerk_number ?? null);
    window.since = event.at;
  } else if (ticket && TAKES_TICKET.has(event.type)) {
    Object.assign(window, { ticket: ticket.number, ticket_id: ticket.id, ticket_status: ticket.status, since: event.at });
  } else if (ticket && LEAVES_TICKET.has(event.type)) {
    Object.assign(window, { ticket: null, ticket_id: null, ticket_status: null, since: event.at });
  } else if (ticket && window.ticket_id === ticket.id) {
    window.ticket_status = ticket.status; // recalled, service started: the same citizen
  }
  window.state = windowState(window.status, window.ticket);
}

function countRating(state, rating) {
  if (rating.service_day !== state.service_day) return;
  state.ratings.rated += 1;
  state.ratings.citizen_rated += CITIZEN_CHANNELS.has(rating.channel) ? 1 : 0;
  state.ratings.good += GOOD_LEVELS.has(rating.level) ? 1 : 0;
  state.ratings.bad += BAD_LEVELS.has(rating.level) ? 1 : 0;
}

function keepCase(state, brief) {
  state.cases = state.cases.filter((existing) => existing.id !== brief.id);
  if (brief.state !== "closed") state.cases.push(brief);
  state.cases.sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.opened_at.localeCompare(b.opened_at) || a.id - b.id);
}

/** Apply one hall event (in `seq` order; one already in the figures is dropped). Returns
 * {applied, reload}: `reload` asks for a fresh snapshot (the hall file changed). */
export function applyEvent(state, event) {
  if (typeof event?.seq !== "number" || event.seq <= state.seq) return { applied: false, reload: false };
  state.seq = event.seq;
  if (event.type === "sequence_advanced") return { applied: false, reload: false };
  if (event.type === "hall_updated") return { applied: true, reload: true };
  if (event.type === "day_started") {
    startDay(state, event);
    return { applied: true, reload: false };
  }
  if (event.type === "notice_changed") state.notice = event.notice;
  if (event.type === "rating_recorded" && event.rating) countRating(state, event.rating);
  if ((event.type === "review_case_opened" || event.type === "review_case_updated") && event.case) keepCase(state, event.case);
  if (event.ticket) countTicket(state, event);
  if (event.window?.number !== undefined) moveWindow(state, event);
  return { applied: true, reload: false };
}

/** A device came online or went offline (`device_presence`, no seq). */
export function applyPresence(state, payload) {
  const device = state.devices.find((known) => known.id === payload?.device?.id);
  if (!device) return false;
  device.online = Boolean(payload.device.online);
  device.last_seen = payload.device.last_seen ?? device.last_seen;
  return true;
}

/** The figures as the server's snapshot gives them (what a fresh page would load). */
export function figuresOf(state) {
  const queues = state.queues.map((queue) => {
    const waiting = [...state.waiting.entries()]
      .filter(([, ticket]) => ticket.queue === queue.code)
      .map(([id, ticket]) => ({ id, issued_at: ticket.issued_at }))
      .sort((a, b) => a.issued_at.localeCompare(b.issued_at) || a.id - b.id);
    const issued = queue.issued_by_hour.reduce((a, b) => a + b, 0);
    const served = queue.served_by_hour.reduce((a, b) => a + b, 0);
    return {
      code: queue.code,
      waiting: waiting.length,
      waiting_tickets: waiting,
      issued_by_hour: [...queue.issued_by_hour],
      served_by_hour: [...queue.served_by_hour],
      issued,
      served,
      waits: queue.waits,
      wait_total_ms: queue.wait_total_ms,
      average_wait_ms: queue.waits ? Math.round(queue.wait_total_ms / queue.waits) : null,
      longest_wait_ms: queue.waits ? queue.longest_wait_ms : null,
    };
  });
  const windows = state.windows.map((window) => ({
    number: window.number,
    status: window.status,
    state: windowState(window.status, window.ticket),
    clerk: window.clerk,
    clerk_number: window.clerk_number,
    ticket: window.ticket,
    ticket_id: window.ticket_id,
    ticket_status: window.ticket_status,
    since: window.since,
  }));
  return {
    service_day: state.service_day,
    seq: state.seq,
    notice: state.notice,
    queues,
    windows,
    ratings: { ...state.ratings },
    cases: state.cases.map((brief) => brief.id).sort((a, b) => a - b),
  };
}

/** How many tickets wait in a queue's line now. */
export function waitingCount(state, code) {
  let count = 0;
  for (const ticket of state.waiting.values()) count += ticket.queue === code ? 1 : 0;
  return count;
}

/** The age of a queue's oldest waiting ticket in ms at `now` (ms), or null when none waits. */
export function oldestWaitMs(state, code, now) {
  let oldest = null;
  for (const ticket of state.waiting.values()) {
    if (ticket.queue !== code) continue;
    const issued = millis(ticket.issued_at);
    if (oldest === null || issued < oldest) oldest = issued;
  }
  return oldest === null ? null : Math.max(0, now - oldest);
}

/** Devices by kind: {kind: {online, offline}}. */
export function devicesByKind(state) {
  const kinds = {};
  for (const device of state.devices) {
    kinds[device.kind] ??= { online: 0, offline: 0 };
    kinds[device.kind][device.online ? "online" : "offline"] += 1;
  }
  return kinds;
}
