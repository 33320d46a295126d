// The screen's link to the server (docs/signage.md, "Protocol"): the device token, one
// Socket.IO connection with socket.io-client's own reconnection and backoff, a
// `subscribe` with the last applied sequence number on every (re)connect, and each hall
// event applied once and in order.

import { io } from "./vendor/socket.io.esm.min.js";

const TOKEN_KEY = "hallQueue.token";
const ACK_TIMEOUT_MS = 10000;
const RETRY_REFUSED_MS = 60000; // a refused token is re-tried slowly, in case it is re-issued

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
   * needsSnapshot() (true: the page has nothing drawn, ask for a snapshot, not events)
   */
  constructor(token, handlers) {
    this.token = token;
    this.handlers = handlers;
    this.lastSeq = null; // the last hall sequence number applied
    this.hall = null;
    this.clockOffset = 0; // server clock minus this screen's clock, in ms
    this.subscribing = false;
    this.buffer = []; // live events that arrived while a subscribe was in flight
    this.wantSnapshot = false;
    this.state = "connecting";
    this.socket = io(location.origin, {
      auth: { token },
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
      this.subscribing = false;
      this.buffer = [];
      // The server closed the link itself (token revoked since, or a restart that said
      // goodbye): socket.io-client does not retry that on its own.
      if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), 500);
    });
    this.socket.on("connect_error", (error) => {
      if (this.socket.active) {
        // a network failure: the manager retries with backoff
        this._setState("offline", error.message);
        return;
      }
      // refused by the server: its sentence says why (unknown or revoked token)
      this._setState("refused", error.message);
      setTimeout(() => this.socket.connect(), RETRY_REFUSED_MS);
    });
    this.socket.on("screen_configured", (data) => {
      this.handlers.configured?.(data?.settings ?? {});
      this.resubscribe({ snapshot: true }); // the zone may have changed: redraw from scratch
    });
    this.socket.on("announcer_changed", (data) => this.handlers.announcer?.(Boolean(data?.announcer)));
    this.socket.onAny((name, payload) => {
      if (payload && typeof payload.seq === "number") this._live(payload);
    });
  }

  /** Now by the server's clock (ms since the epoch), to judge an event's age. */
  serverNow() {
    return Date.now() + this.clockOffset;
  }

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
    const request = {};
    const fresh = this.wantSnapshot || this.handlers.needsSnapshot?.();
    if (this.lastSeq !== null && !fresh) request.since = this.lastSeq;
    this.subscribing = true;
    const sentAt = Date.now();
    this.socket.timeout(ACK_TIMEOUT_MS).emit("subscribe", request, (error, ack) => {
      if (!this.socket.connected) return; // dropped meanwhile: the next connect subscribes again
      if (error || !ack?.ok) {
        this.subscribing = false;
        this._setState("offline", ack?.problem?.detail ?? "subscribe timed out");
        setTimeout(() => this.resubscribe(), 2000);
        return;
      }
      const data = ack.data;
      if (data.server_time) {
        // half the round trip is the best guess of when the server read its clock
        this.clockOffset = Date.parse(data.server_time) - (sentAt + Date.now()) / 2;
      }
      this.hall = data.scope?.hall ?? this.hall;
      this.scope = data.scope ?? this.scope;
      this.wantSnapshot = false;
      let events = [];
      if (data.snapshot) {
        this.lastSeq = data.seq;
      } else {
        events = (data.events ?? []).filter((event) => event.seq > (this.lastSeq ?? -1));
      }
      this.handlers.subscribed?.(data, { snapshot: data.snapshot ?? null, events });
      for (const event of events) this._apply(event);
      this.lastSeq = Math.max(this.lastSeq ?? 0, data.seq ?? 0);
      this.subscribing = false;
      const buffered = this.buffer;
      this.buffer = [];
      for (const event of buffered) this._live(event);
      this._setState("online");
    });
  }

  _live(event) {
    if (this.subscribing) {
      this.buffer.push(event); // the ack's catch-up comes first, then these
      return;
    }
    if (this.lastSeq !== null && event.seq <= this.lastSeq) return; // seen already
    this._apply(event);
    this.lastSeq = event.seq;
  }

  _apply(event) {
    try {
      this.handlers.event?.(event);
    } catch (error) {
      console.error("could not apply event", event, error);
    }
  }
}
