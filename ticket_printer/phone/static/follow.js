// The phone's live link (docs/phone.md, "Live"): one Socket.IO connection with the
// ticket's reference as its credential, socket.io-client's own reconnection, and on
// every (re)connect a `subscribe` to the hall's citizen stream, whose answer carries the
// ticket's progress. A live event that concerns the ticket, or one after a gap in the
// hall's sequence, asks for the progress again (`read_progress`), once per burst.
//
// The socket factory is passed in (`connect`), so that Node's runner can drive this with
// a fake socket and a fake clock (tests/js/phone.test.mjs).

import { ProgressTracker, Refresher } from "./progress.js";

const ACK_TIMEOUT_MS = 10000;
const RETRY_FIRST_MS = 1000; // a failed subscribe or read is retried after 1 s, 2 s, 4 s … 30 s
const RETRY_MAX_MS = 30000;
const RETRY_REFUSED_MS = 60000; // refused at the door (too old, or asking too often): try again slowly
export const REFRESH_DELAY_MS = 250; // a burst of events within this costs one read

export class TicketFollower {
  /**
   * handlers: progress(view) a progress to draw; wait(figures) its ticket's new wait
   * figures (`wait_estimated`); state(state, detail) with state
   * "connecting" | "online" | "offline" | "refused"; problem(problem) a refusal of a read.
   * options: connect(url, options) (the vendored `io`; tests pass a fake), url (default:
   * this page's origin), path (the Socket.IO path, default "/socket.io"), timers, delayMs.
   */
  constructor(ref, handlers, { connect, url = globalThis.location?.origin, path = "/socket.io", timers = globalThis, delayMs = REFRESH_DELAY_MS } = {}) {
    this.ref = ref;
    this.handlers = handlers;
    this.timers = timers;
    this.tracker = new ProgressTracker();
    this.refresher = new Refresher(() => this._read(), { delayMs, timers });
    this.subscription = 0; // numbers each subscribe: only the latest one's answer counts
    this.retryMs = RETRY_FIRST_MS;
    this.retryTimer = null;
    this.stopped = false;
    this.socket = connect(url, {
      path,
      auth: { ticket: ref },
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      randomizationFactor: 0.5,
      timeout: 10000,
    });
    this.socket.on("connect", () => this._subscribe());
    this.socket.on("disconnect", (reason) => {
      this.subscription += 1; // an answer still on its way belongs to the dropped link
      this.tracker.disconnected();
      this.refresher.cancel();
      this._stopRetry();
      if (this.stopped) return;
      this._state("offline", reason);
      // the server closed the link itself (a restart, the ticket no longer shown):
      // socket.io-client does not retry that on its own
      if (reason === "io server disconnect") this._later(() => this.socket.connect(), RETRY_FIRST_MS);
    });
    this.socket.on("connect_error", (error) => {
      if (this.stopped) return;
      if (this.socket.active) {
        this._state("offline", error?.message); // a network failure: the manager retries with backoff
        return;
      }
      this._state("refused", error?.message); // the server said no, and why
      this._later(() => this.socket.connect(), RETRY_REFUSED_MS);
    });
    this.socket.onAny((name, payload) => {
      if (this.tracker.receive(payload, name)) this.refresher.request();
    });
    // its own ticket's new wait figures, pushed when the hall's play changes them (no seq:
    // not a hall event, so the tracker above passes it by)
    this.socket.on("wait_estimated", (figures) => this.handlers.wait?.(figures));
  }

  /** Stop following: the ticket is settled (done, cancelled, of a past day). */
  stop() {
    this.stopped = true;
    this.refresher.cancel();
    this._stopRetry();
    this.socket.disconnect();
  }

  _state(state, detail) {
    this.handlers.state?.(state, detail);
  }

  _later(run, ms) {
    this._stopRetry();
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) run();
    }, ms);
  }

  _stopRetry() {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  _retry(run) {
    this._later(run, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** Try `run` again: after the server's Retry-After when it gave one, else with
   * backoff; never for a ticket that is not there (404). */
  _retryAfter(problem, run) {
    if (problem?.status === 404) return;
    if (problem?.retry_after) this._later(run, problem.retry_after * 1000);
    else this._retry(run);
  }

  _subscribe() {
    if (this.stopped) return;
    this._stopRetry();
    this.tracker.disconnected(); // out of sync until this answer: events are counted, not applied
    const subscription = ++this.subscription;
    this.socket.timeout(ACK_TIMEOUT_MS).emit("subscribe", {}, (error, ack) => {
      if (subscription !== this.subscription || this.stopped) return;
      if (error || !ack?.ok) {
        this._state("offline", ack?.problem?.detail ?? "subscribe timed out");
        if (ack?.problem) this.handlers.problem?.(ack.problem);
        this._retryAfter(ack?.problem, () => this._subscribe());
        return;
      }
      this.retryMs = RETRY_FIRST_MS;
      this._state("online");
      this._answered(ack.data.progress);
    });
  }

  /** `read_progress`, for the refresher: resolves when answered (or given up on). */
  _read() {
    if (!this.socket.connected || this.tracker.lastSeq === null) return Promise.resolve(); // the next subscribe reads anyway
    const subscription = this.subscription;
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit("read_progress", {}, (error, ack) => {
        resolve();
        if (subscription !== this.subscription || this.stopped) return;
        if (error || !ack?.ok) {
          if (ack?.problem) this.handlers.problem?.(ack.problem);
          this._retryAfter(ack?.problem, () => this.refresher.request());
          return;
        }
        this.retryMs = RETRY_FIRST_MS;
        this._answered(ack.data);
      });
    });
  }

  _answered(view) {
    const { show, again } = this.tracker.answered(view);
    if (show) this.handlers.progress?.(view);
    if (again) this.refresher.request();
  }
}
