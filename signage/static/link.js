// The screen's link to the server (docs/signage.md, "Protocol"): the device token, one
// Socket.IO connection with socket.io-client's own reconnection and backoff, a
// `subscribe` with the last applied sequence number on every (re)connect, and each hall
// event applied once and in order (the rules are EventSequencer's, in sequence.js).

import { EventSequencer, GAP_WAIT_MS, SEQUENCE_ADVANCED } from "./sequence.js";
import { io } from "./vendor/socket.io.esm.min.js";

const TOKEN_KEY = "hallQueue.token";
const ACK_TIMEOUT_MS = 10000;
const RETRY_REFUSED_MS = 60000; // a refused token is re-tried slowly, in case it is re-issued
const RETRY_FIRST_MS = 1000; // a failed subscribe is retried after 1 s, 2 s, 4 s … 30 s
const RETRY_MAX_MS = 30000;
/** A zone or window screen whose server has not sent one `sequence_advanced` yet is on a
 * server that leaves a gap for every event outside the scope: waiting the full
 * GAP_WAIT_MS would hold each of its calls that long, so it asks for the catch-up sooner. */
export const UNSTUBBED_GAP_WAIT_MS = 200;

/** The device token: from `#token=…` (then kept in localStorage and taken out of the
 * address bar), else the one kept from an earlier visit. */
export function deviceToken() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const given = fragment.get("token");
  if (given) {
    try {
      localStorage.setItem(TOKEN_KEY, given);
    } catch {
      // storage may be disabled; the fragment still works for this visit
    }
    history.replaceState(null, "", location.pathname + location.search);
    return given;
  }
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export class ScreenLink {
  /**
   * handlers: subscribed(data, {events, snapshot}), event(payload), configured(settings),
   * announcer(flag), state("connecting" | "online" | "offline" | "refused", detail),
   * needsSnapshot() (true: the page has nothing drawn, ask for a snapshot, not events).
   * options: connect(url, options) makes the socket (default: the vendored socket.io
   * client's `io`; tests pass a fake), url (default: this page's origin), gapWaitMs,
   * timers ({setTimeout, clearTimeout}; tests pass a fake clock), hall (the hall code to
   * subscribe to: a signed-in person's page names it, a device's hall is implied).
   * A null token connects with the browser's session cookie instead (staff pages).
   */
  constructor(
    token,
    handlers,
    {
      connect = io,
      url = globalThis.location?.origin,
      gapWaitMs = GAP_WAIT_MS,
      timers = globalThis,
      hall = null,
    } = {},
  ) {
    this.token = token;
    this.subscribeHall = hall;
    this.handlers = handlers;
    this.hall = null;
    this.scope = null;
    this.clockOffset = 0; // server clock minus this screen's clock, in ms
    this.wantSnapshot = false;
    this.stubsSeen = false; // the server sends `sequence_advanced` for events outside the scope
    this.gapWaitMs = gapWaitMs;
    this.timers = timers;
    this.subscription = 0; // numbers each subscribe: only the latest one's answer counts
    this.retryMs = RETRY_FIRST_MS;
    this.retryTimer = null;
    this.state = "connecting";
    this.sequencer = new EventSequencer({
      apply: (event) => this._apply(event),
      catchUp: () => this.resubscribe(),
      snapshot: () => this.resubscribe({ snapshot: true }),
      gapWaitMs,
      timers,
    });
    this.socket = connect(url, {
      auth: token ? { token } : {},
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.3,
      timeout: 8000,
    });
    this.socket.on("connect", () => this._subscribe());
    this.socket.on("disconnect", (reason) => {
      this._setState("offline", reason);
      this.subscription += 1; // an answer still on its way belongs to the dropped link
      this._stopRetry();
      this.sequencer.disconnected();
      // The server closed the link itself (token revoked since, or a restart that said
      // goodbye): socket.io-client does not retry that on its own.
      if (reason === "io server disconnect") this.timers.setTimeout(() => this.socket.connect(), 500);
    });
    this.socket.on("connect_error", (error) => {
      if (this.socket.active) {
        // a network failure: the manager retries with backoff
        this._setState("offline", error.message);
        return;
      }
      // refused by the server: its sentence says why (unknown or revoked token)
      this._setState("refused", error.message);
      this.timers.setTimeout(() => this.socket.connect(), RETRY_REFUSED_MS);
    });
    this.socket.on("screen_configured", (data) => {
      this.handlers.configured?.(data?.settings ?? {});
      this.resubscribe({ snapshot: true }); // the zone may have changed: redraw from scratch
    });
    this.socket.on("announcer_changed", (data) => this.handlers.announcer?.(Boolean(data?.announcer)));
    this.socket.onAny((name, payload) => {
      if (!payload || typeof payload.seq !== "number") return; // control events carry no seq
      if (name === SEQUENCE_ADVANCED) {
        this._sawStub();
        this.sequencer.receive({ ...payload, type: SEQUENCE_ADVANCED });
        return;
      }
      this.sequencer.receive(payload);
    });
  }

  /** The last hall sequence number applied (null before the first subscribe answered). */
  get lastSeq() {
    return this.sequencer.lastSeq;
  }

  /** Now by the server's clock (ms since the epoch), to judge an event's age. */
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  /** Subscribe again: to catch up from the last applied event, or (`snapshot`) to redraw
   * from a fresh snapshot. Not connected: the next connect subscribes anyway. */
  resubscribe({ snapshot = false } = {}) {
    if (snapshot) this.wantSnapshot = true;
    if (this.socket.connected) this._subscribe();
  }

  /** Tell the server this screen drew the call with sequence number `seq`. */
  markShown(seq) {
    if (this.socket.connected) this.socket.emit("mark_shown", { seq });
  }

  /** GET an API path with the device token (snapshots, announcement audio). */
  fetchApi(path, init = {}) {
    return fetch(`/api/v1${path}`, {
      ...init,
      headers: { ...(init.headers ?? {}), Authorization: `Bearer ${this.token}` },
      cache: "no-store",
    });
  }

  _setState(state, detail) {
    this.state = state;
    this.handlers.state?.(state, detail);
  }

  _subscribe() {
    this._stopRetry();
    this.sequencer.unsync(); // live events wait for this answer; lastSeq stays put
    const request = this.subscribeHall ? { hall: this.subscribeHall } : {};
    const fresh = this.wantSnapshot || this.handlers.needsSnapshot?.();
    if (this.lastSeq !== null && !fresh) request.since = this.lastSeq;
    const subscription = ++this.subscription;
    const sentAt = Date.now();
    this.socket.timeout(ACK_TIMEOUT_MS).emit("subscribe", request, (error, ack) => {
      if (subscription !== this.subscription) return; // a later subscribe, or a dropped link
      if (error || !ack?.ok) {
        // still unsynced: live events stay held, lastSeq does not move, and the retry
        // catches up from the last event applied
        this._setState("offline", ack?.problem?.detail ?? "subscribe timed out");
        this.retryTimer = this.timers.setTimeout(() => {
          this.retryTimer = null;
          this.resubscribe();
        }, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
        return;
      }
      this.retryMs = RETRY_FIRST_MS;
      const data = ack.data;
      if (data.server_time) {
        // half the round trip is the best guess of when the server read its clock
        this.clockOffset = Date.parse(data.server_time) - (sentAt + Date.now()) / 2;
      }
      this.hall = data.scope?.hall ?? this.hall;
      this.scope = data.scope ?? this.scope;
      this.sequencer.gapWaitMs = this._gapWait();
      const snapshot = data.snapshot ?? null;
      if (snapshot) this.wantSnapshot = false;
      const events = snapshot ? [] : (data.events ?? []).filter((event) => event.seq > (this.lastSeq ?? -1));
      this.handlers.subscribed?.(data, { snapshot, events });
      if (subscription !== this.subscription) return; // the page asked for another one meanwhile
      this.sequencer.synchronised({ seq: data.seq, events, snapshot });
      if (subscription === this.subscription) this._setState("online");
    });
  }

  _sawStub() {
    if (this.stubsSeen) return;
    this.stubsSeen = true;
    this.sequencer.gapWaitMs = this._gapWait();
  }

  _gapWait() {
    const scoped = Boolean(this.scope && (this.scope.zone || this.scope.window));
    return scoped && !this.stubsSeen ? Math.min(UNSTUBBED_GAP_WAIT_MS, this.gapWaitMs) : this.gapWaitMs;
  }

  _stopRetry() {
    if (this.retryTimer) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  _apply(event) {
    try {
      this.handlers.event?.(event);
    } catch (error) {
      console.error("could not apply event", event, error);
    }
  }
}
