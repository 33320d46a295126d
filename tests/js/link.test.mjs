// ScreenLink (signage/static/link.js) over a fake socket: what it subscribes with, what
// it applies and when, across failed subscribes, gaps, stubs and disconnects. The real
// socket.io client is only imported (link.js's default factory), never connected.

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { FakeClock } from "./clock.mjs";

import { ScreenLink, UNSTUBBED_GAP_WAIT_MS } from "../../signage/static/link.js";
import { GAP_WAIT_MS } from "../../signage/static/sequence.js";

/** What the link sees of socket.io-client: handlers, acks with a timeout, onAny. */
class FakeSocket {
  constructor(url, options) {
    this.url = url;
    this.options = options;
    this.listeners = new Map();
    this.anyListeners = [];
    this.connected = false;
    this.active = true;
    this.subscribes = []; // {request, answer(ack), fail(error)}
    this.emitted = [];
  }

  on(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, []);
    this.listeners.get(name).push(listener);
    return this;
  }

  onAny(listener) {
    this.anyListeners.push(listener);
  }

  timeout() {
    return {
      emit: (name, request, callback) => {
        assert.equal(name, "subscribe");
        this.subscribes.push({
          request,
          answer: (data) => callback(null, { ok: true, data }),
          refuse: (detail) => callback(null, { ok: false, problem: { detail } }),
          timeOut: () => callback(new Error("operation has timed out")),
        });
      },
    };
  }

  emit(name, payload) {
    this.emitted.push([name, payload]);
  }

  connect() {}

  disconnect() {
    this.drop("io client disconnect");
  }

  // ---- the server's side ----

  fire(name, ...args) {
    for (const listener of this.listeners.get(name) ?? []) listener(...args);
  }

  open() {
    this.connected = true;
    this.fire("connect");
  }

  drop(reason = "transport close") {
    this.connected = false;
    this.fire("disconnect", reason);
  }

  /** A server-to-client event, as socket.io-client delivers it. */
  deliver(name, payload) {
    for (const listener of this.anyListeners) listener(name, payload);
    this.fire(name, payload);
  }

  get lastSubscribe() {
    return this.subscribes.at(-1);
  }
}

let clock; // a FakeClock, fresh for each test
const HALL_SCOPE = { hall: "demo", zone: null, window: null };
const ZONE_SCOPE = { hall: "demo", zone: "1f", window: null };
const issued = (seq) => ({ hall: "demo", seq, type: "ticket_issued", at: "2026-11-23T01:00:00Z" });

/** A link over a fake socket, recording what it applied and its states. */
function linkUp({ loaded = false } = {}) {
  let socket;
  const record = { applied: [], states: [], subscribed: [], model: { loaded } };
  const link = new ScreenLink(
    "hqd_test",
    {
      event: (e) => record.applied.push(e.seq),
      state: (state) => record.states.push(state),
      subscribed: (data, { snapshot, events }) => {
        record.subscribed.push({ snapshot, events: events.map((e) => e.seq) });
        if (snapshot) record.model.loaded = true;
      },
      needsSnapshot: () => !record.model.loaded,
    },
    {
      connect: (url, options) => {
        socket = new FakeSocket(url, options);
        return socket;
      },
      url: "http://hall.test",
      timers: clock,
    },
  );
  return { link, socket, record };
}

/** Connected and drawn from a snapshot at `seq`, in `scope`. */
function online(seq, scope = HALL_SCOPE) {
  const made = linkUp();
  made.socket.open();
  made.socket.lastSubscribe.answer({ scope, seq, snapshot: { seq } });
  return made;
}

describe("ScreenLink", () => {
  beforeEach(() => {
    clock = new FakeClock();
  });

  test("connects with the device token and subscribes for a snapshot first", () => {
    const { socket, record, link } = linkUp();
    assert.equal(socket.url, "http://hall.test");
    assert.deepEqual(socket.options.auth, { token: "hqd_test" });
    socket.open();
    assert.deepEqual(socket.lastSubscribe.request, {}, "nothing drawn yet: no `since`");
    socket.deliver("ticket_issued", issued(8)); // before the answer: held
    assert.deepEqual(record.applied, []);
    socket.lastSubscribe.answer({ scope: HALL_SCOPE, seq: 7, snapshot: { seq: 7 } });
    assert.deepEqual(record.applied, [8]);
    assert.equal(link.lastSeq, 8);
    assert.equal(record.states.at(-1), "online");
  });

  test("a failed subscribe applies nothing, keeps lastSeq and retries from it with backoff", () => {
    const { socket, record, link } = online(10);
    socket.deliver("ticket_issued", issued(11));
    link.resubscribe(); // say, a gap's catch-up
    assert.deepEqual(socket.lastSubscribe.request, { since: 11 });
    socket.deliver("ticket_issued", issued(13));
    socket.lastSubscribe.refuse("服务器忙");
    assert.equal(record.states.at(-1), "offline");
    socket.deliver("ticket_issued", issued(14)); // live, while not in sync: held, lastSeq stays
    assert.deepEqual(record.applied, [11]);
    assert.equal(link.lastSeq, 11);

    const sent = socket.subscribes.length;
    clock.tick(999);
    assert.equal(socket.subscribes.length, sent);
    clock.tick(1);
    assert.deepEqual(socket.lastSubscribe.request, { since: 11 });
    socket.lastSubscribe.timeOut(); // and again: the next retry waits twice as long
    clock.tick(1999);
    assert.equal(socket.subscribes.length, sent + 1);
    clock.tick(1);
    assert.deepEqual(socket.lastSubscribe.request, { since: 11 });
    socket.lastSubscribe.answer({ scope: HALL_SCOPE, seq: 14, events: [issued(12), issued(13), issued(14)] });
    assert.deepEqual(record.applied, [11, 12, 13, 14]);
    assert.equal(record.states.at(-1), "online");
  });

  test("an early event waits for the late one; a gap left open is caught up after the wait", () => {
    const { socket, record, link } = online(10);
    socket.deliver("ticket_issued", issued(12));
    socket.deliver("ticket_issued", issued(11));
    assert.deepEqual(record.applied, [11, 12]);

    socket.deliver("ticket_called", { ...issued(14), type: "ticket_called" });
    const sent = socket.subscribes.length;
    clock.tick(GAP_WAIT_MS - 1);
    assert.equal(socket.subscribes.length, sent);
    clock.tick(1);
    assert.deepEqual(socket.lastSubscribe.request, { since: 12 });
    const missed = [issued(13), { ...issued(14), type: "ticket_called" }];
    socket.lastSubscribe.answer({ scope: HALL_SCOPE, seq: 14, events: missed });
    assert.deepEqual(record.applied, [11, 12, 13, 14]);
    assert.equal(link.lastSeq, 14);
  });

  test("sequence_advanced fills a zone screen's gap; having seen one it waits the full time", () => {
    const { socket, record, link } = online(10, ZONE_SCOPE);
    socket.deliver("sequence_advanced", { hall: "demo", seq: 11 });
    socket.deliver("ticket_issued", issued(12));
    assert.deepEqual(record.applied, [12]);
    assert.equal(link.lastSeq, 12);

    socket.deliver("ticket_issued", issued(14)); // 13 is on its way, late
    const sent = socket.subscribes.length;
    clock.tick(UNSTUBBED_GAP_WAIT_MS);
    assert.equal(socket.subscribes.length, sent, "a server that sends stubs gets the full wait");
    socket.deliver("sequence_advanced", { hall: "demo", seq: 13 });
    assert.deepEqual(record.applied, [12, 14]);
  });

  test("a zone screen on a server without stubs asks for the catch-up sooner", () => {
    const { socket, record } = online(10, ZONE_SCOPE);
    socket.deliver("ticket_called", { ...issued(12), type: "ticket_called" }); // 11 was upstairs
    clock.tick(UNSTUBBED_GAP_WAIT_MS);
    assert.deepEqual(socket.lastSubscribe.request, { since: 10 });
    socket.lastSubscribe.answer({ scope: ZONE_SCOPE, seq: 12, events: [{ ...issued(12), type: "ticket_called" }] });
    assert.deepEqual(record.applied, [12]);
  });

  test("a disconnect drops held events and the next connect catches up from lastSeq", () => {
    const { socket, record, link } = online(10);
    socket.deliver("ticket_issued", issued(11));
    socket.deliver("ticket_issued", issued(13));
    socket.drop();
    assert.equal(record.states.at(-1), "offline");
    assert.equal(link.sequencer.holding, 0);
    socket.open();
    assert.deepEqual(socket.lastSubscribe.request, { since: 11 });
    socket.lastSubscribe.answer({ scope: HALL_SCOPE, seq: 13, events: [issued(12), issued(13)] });
    assert.deepEqual(record.applied, [11, 12, 13]);
  });

  test("an answer to a subscribe sent before the link dropped is ignored", () => {
    const { socket, record } = online(10);
    socket.deliver("ticket_issued", issued(11));
    socket.drop();
    const stale = socket.lastSubscribe;
    socket.open();
    stale.answer({ scope: HALL_SCOPE, seq: 50, events: [issued(50)] });
    assert.deepEqual(record.applied, [11]);
    socket.lastSubscribe.answer({ scope: HALL_SCOPE, seq: 12, events: [issued(12)] });
    assert.deepEqual(record.applied, [11, 12]);
  });

  test("only the latest of two subscribes in flight counts", () => {
    const { socket, record, link } = online(10);
    link.resubscribe();
    const first = socket.lastSubscribe;
    link.resubscribe({ snapshot: true });
    const second = socket.lastSubscribe;
    assert.deepEqual(second.request, {}, "a snapshot is asked without `since`");
    first.answer({ scope: HALL_SCOPE, seq: 12, events: [issued(11), issued(12)] });
    assert.deepEqual(record.applied, []);
    second.answer({ scope: HALL_SCOPE, seq: 12, snapshot: { seq: 12 } });
    assert.equal(link.lastSeq, 12);
    socket.deliver("ticket_issued", issued(13));
    assert.deepEqual(record.applied, [13]);
  });

  test("a snapshot answer resets lastSeq; control events carry no seq and are not sequenced", () => {
    const { socket, link, record } = online(500);
    const configured = [];
    link.handlers.configured = (settings) => configured.push(settings);
    socket.deliver("screen_configured", { settings: { zone: "2f" } });
    assert.deepEqual(configured, [{ zone: "2f" }]);
    assert.deepEqual(socket.lastSubscribe.request, {});
    socket.lastSubscribe.answer({ scope: { ...HALL_SCOPE, zone: "2f" }, seq: 40, snapshot: { seq: 40 } });
    assert.equal(link.lastSeq, 40);
    socket.deliver("ticket_issued", issued(41));
    assert.deepEqual(record.applied, [41]);
  });

  test("an event whose handling asks for a snapshot (a new day) holds what follows", () => {
    const { socket, link, record } = online(10);
    link.handlers.event = (e) => {
      record.applied.push(e.seq);
      if (e.type === "day_started") link.resubscribe({ snapshot: true });
    };
    socket.deliver("day_started", { hall: "demo", seq: 11, type: "day_started", service_day: "2026-11-24" });
    socket.deliver("ticket_issued", issued(12));
    assert.deepEqual(record.applied, [11]);
    assert.deepEqual(socket.lastSubscribe.request, {});
    socket.lastSubscribe.answer({ scope: HALL_SCOPE, seq: 11, snapshot: { seq: 11 } });
    assert.deepEqual(record.applied, [11, 12]);
  });

  test("markShown tells the server what was drawn", () => {
    const { socket, link } = online(10);
    link.markShown(10);
    assert.deepEqual(socket.emitted, [["mark_shown", { seq: 10 }]]);
  });
});
