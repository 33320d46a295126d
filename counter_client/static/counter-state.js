// What the console may do now, and how it sends a command so that a network blink never
// applies it twice. Pure: the page passes the window as the server last described it, and
// the sender gets its `post`, its timers and its key maker injected (the page passes the
// desk's `randomKey`, ticket_printer/static/idempotency.js; the unit tests pass fakes).

/** The window commands each button and key runs: [HTTP action, needs a dialog]. */
export const COMMANDS = {
  call_next: "call-next",
  recall: "recall",
  no_show: "mark-no-show",
  start: "start-service",
  finish: "finish-service",
  transfer: "transfer",
  suspend: "suspend",
  pause: "pause-window",
  resume_window: "resume-window",
  call_number: "call-number",
  resume_ticket: "resume-ticket",
  open: "open-window",
  close: "close-window",
};

/** Which actions the window allows now, by the same rules the server checks
 * (domain/tickets.py, domain/lifecycle.py): a set of action names. The pause key
 * resumes a paused window. */
export function allowedActions(window) {
  const allowed = new Set();
  if (!window || window.status === "closed") return allowed;
  if (window.status === "paused") {
    allowed.add("pause"); // resumes it
    allowed.add("close");
    return allowed;
  }
  const status = window.ticket ? window.ticket_status : null;
  if (!status) {
    for (const action of ["call_next", "call_number", "pause", "close", "resume_ticket"]) allowed.add(action);
  } else if (status === "called") {
    for (const action of ["recall", "no_show", "start", "transfer"]) allowed.add(action);
  } else if (status === "serving") {
    for (const action of ["finish", "transfer", "suspend"]) allowed.add(action);
  }
  return allowed;
}

/** A duration in seconds as the console says it: "45秒", "12分05秒", "1小时03分". */
export function duration(seconds, words = { h: "小时", m: "分", s: "秒" }) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (h) return `${h}${words.h}${two(m)}${words.m}`;
  if (m) return `${m}${words.m}${two(s)}${words.s}`;
  return `${s}${words.s}`;
}

/** Whether a failed answer is worth sending again with the same key: the network
 * failed, a gateway or a restarting server answered, or the database was busy. */
export function worthRetrying(answer) {
  return Boolean(answer?.network) || answer?.problem?.code === "store_busy";
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

/**
 * Sends one window command at a time. Each command meant gets one Idempotency-Key; a
 * network failure (or a busy store) is retried with the same key, after 0.5 s, 1 s, 2 s …
 * at most 5 s apart, until the server answers; the server runs it at most once. While a
 * command is in flight or being retried, another is refused (`busy`): the clerk sees the
 * one pending and waits, or gives it up (`abandon`, which keeps no promise about whether
 * it ran: the page reads the window again).
 *
 * post(path, body, headers) -> Promise<answer> (session.js's Api.post); newKey() -> a fresh
 * random key; onChange(state) is called with {phase: "idle" | "sending" | "retrying",
 * command, attempts}.
 */
export class CommandSender {
  constructor({ post, newKey, onChange = () => {}, timers = globalThis }) {
    this.post = post;
    this.onChange = onChange;
    this.timers = timers;
    this.newKey = newKey;
    this.pending = null; // {command, path, body, key, attempts, resolve, timer}
  }

  get busy() {
    return this.pending !== null;
  }

  get state() {
    if (!this.pending) return { phase: "idle", command: null, attempts: 0 };
    return {
      phase: this.pending.attempts > 1 || this.pending.waiting ? "retrying" : "sending",
      command: this.pending.command,
      attempts: this.pending.attempts,
      key: this.pending.key,
    };
  }

  /** Send `command` (a name of COMMANDS) to `path` with `body`. Resolves with the
   * server's answer (ok or refused), or {busy: true} when another is pending, or
   * {abandoned: true}. Never resolves with a network failure: it retries instead. */
  send(command, path, body = {}) {
    if (this.pending) return Promise.resolve({ ok: false, busy: true, pending: this.pending.command });
    return new Promise((resolve) => {
      this.pending = { command, path, body, key: this.newKey(), attempts: 0, resolve, timer: null, waiting: false };
      this._attempt(RETRY_FIRST_MS);
    });
  }

  /** Send the pending command again now (the page calls it when the link comes back). */
  retryNow() {
    const pending = this.pending;
    if (!pending || !pending.waiting) return;
    this.timers.clearTimeout(pending.timer);
    this._attempt(RETRY_FIRST_MS);
  }

  abandon() {
    const pending = this.pending;
    if (!pending) return;
    this.timers.clearTimeout(pending.timer);
    this.pending = null;
    this.onChange(this.state);
    pending.resolve({ ok: false, abandoned: true });
  }

  async _attempt(nextWait) {
    const pending = this.pending;
    pending.attempts += 1;
    pending.waiting = false;
    this.onChange(this.state);
    const answer = await this.post(pending.path, pending.body, { "Idempotency-Key": pending.key });
    if (this.pending !== pending) return; // abandoned meanwhile
    if (worthRetrying(answer)) {
      pending.waiting = true;
      this.onChange({ ...this.state, answer });
      pending.timer = this.timers.setTimeout(() => {
        if (this.pending === pending) this._attempt(Math.min(nextWait * 2, RETRY_MAX_MS));
      }, nextWait);
      return;
    }
    this.pending = null;
    this.onChange(this.state);
    pending.resolve({ ...answer, attempts: pending.attempts, key: pending.key });
  }
}
