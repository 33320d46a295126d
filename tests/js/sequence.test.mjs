// EventSequencer (signage/static/sequence.js): each hall event applied once and in
// order, gaps held and then caught up, nothing applied while not in sync.
// Run with `node --test tests/js/`; timers are a fake clock, nothing waits.

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { FakeClock } from "./clock.mjs";

import { EventSequencer, GAP_WAIT_MS, MAX_HELD } from "../../signage/static/sequence.js";

let clock; // a FakeClock, fresh for each test
const event = (seq, type = "ticket_issued") => ({ hall: "demo", seq, type });
const stub = (seq) => ({ hall: "demo", seq, type: "sequence_advanced" });
const run = (from, seq) => ({ hall: "demo", seq, from, type: "sequence_advanced" }); // stubs coalesced

/** A sequencer that records what it applied and what it asked the server for. */
function makeSequencer(options = {}) {
  const record = { applied: [], catchUps: 0, snapshots: 0 };
  const sequencer = new EventSequencer({
    apply: (e) => record.applied.push(e.seq),
    catchUp: () => {
      record.catchUps += 1;
      sequencer.unsync(); // as the link does: a subscribe is now in flight
    },
    snapshot: () => {
      record.snapshots += 1;
      sequencer.unsync();
    },
    timers: clock,
    ...options,
  });
  return { sequencer, record };
}

/** In sync at `seq`, as after a subscribe answered with nothing missed. */
function syncedAt(seq, options) {
  const made = makeSequencer(options);
  made.sequencer.synchronised({ seq, events: [] });
  return made;
}

describe("EventSequencer", () => {
  beforeEach(() => {
    clock = new FakeClock();
  });

  test("applies events that follow on, in order", () => {
    const { sequencer, record } = syncedAt(10);
    for (const seq of [11, 12, 13]) sequencer.receive(event(seq));
    assert.deepEqual(record.applied, [11, 12, 13]);
    assert.equal(sequencer.lastSeq, 13);
  });

  test("drops a duplicate", () => {
    const { sequencer, record } = syncedAt(10);
    for (const seq of [11, 11, 10, 12, 11]) sequencer.receive(event(seq));
    assert.deepEqual(record.applied, [11, 12]);
  });

  test("holds an early event and applies it after the late one", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(12));
    assert.deepEqual(record.applied, [], "12 must wait for 11");
    assert.equal(sequencer.lastSeq, 10);
    sequencer.receive(event(11));
    assert.deepEqual(record.applied, [11, 12]);
    assert.equal(sequencer.holding, 0);
    clock.tick(GAP_WAIT_MS * 2);
    assert.equal(record.catchUps, 0, "a gap that closed in time asks for nothing");
  });

  test("a gap still open after the wait asks for a catch-up from the last applied seq", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(11));
    sequencer.receive(event(13));
    sequencer.receive(event(14));
    clock.tick(GAP_WAIT_MS - 1);
    assert.equal(record.catchUps, 0);
    clock.tick(1);
    assert.equal(record.catchUps, 1);
    assert.equal(sequencer.lastSeq, 11);
    assert.deepEqual(record.applied, [11]);

    // the catch-up's answer: the missed event of this scope, up to the hall's seq 15
    sequencer.receive(event(16)); // live, while the subscribe is in flight: held
    assert.deepEqual(record.applied, [11]);
    sequencer.synchronised({ seq: 15, events: [event(12), event(13), event(15)] });
    assert.deepEqual(record.applied, [11, 12, 13, 15, 16], "14 was held but is covered by the answer");
    assert.equal(sequencer.lastSeq, 16);
    assert.equal(sequencer.holding, 0);
  });

  test("the catch-up is asked once per wait, not once per held event", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(12));
    clock.tick(GAP_WAIT_MS / 2);
    sequencer.receive(event(13));
    clock.tick(GAP_WAIT_MS / 2);
    assert.equal(record.catchUps, 1);
    clock.tick(GAP_WAIT_MS * 3);
    assert.equal(record.catchUps, 1, "not synced while the catch-up is in flight: no second request");
  });

  test("a sequence_advanced stub fills a gap without being applied", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(12));
    sequencer.receive(stub(11)); // event 11 went to another zone
    assert.deepEqual(record.applied, [12]);
    assert.equal(sequencer.lastSeq, 12);
    sequencer.receive(stub(13));
    sequencer.receive(stub(14));
    assert.equal(sequencer.lastSeq, 14);
    sequencer.receive(event(15));
    assert.deepEqual(record.applied, [12, 15]);
    clock.tick(GAP_WAIT_MS * 2);
    assert.equal(record.catchUps, 0);
  });

  test("a run of stubs (from..seq) stands for each of its numbers", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(run(11, 13));
    assert.equal(sequencer.lastSeq, 13);
    sequencer.receive(event(16)); // early: 14 and 15 are still to come
    sequencer.receive(run(14, 15));
    assert.deepEqual(record.applied, [16]);
    assert.equal(sequencer.holding, 0);
    clock.tick(GAP_WAIT_MS * 2);
    assert.equal(record.catchUps, 0);
  });

  test("a held run fills the gap from whichever of its numbers comes next, and overlaps are dropped", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(15));
    sequencer.receive(run(12, 14)); // held: 11 is missing
    assert.equal(sequencer.holding, 4);
    sequencer.receive(event(11));
    assert.deepEqual(record.applied, [11, 15]);
    assert.equal(sequencer.holding, 0);
    sequencer.receive(run(14, 16)); // already past 15: only 16 is new
    assert.equal(sequencer.lastSeq, 16);
    sequencer.receive(run(15, 16)); // nothing new
    assert.equal(sequencer.lastSeq, 16);
    clock.tick(GAP_WAIT_MS * 2);
    assert.equal(record.catchUps, 0);
  });

  test("a run longer than may be held asks for a snapshot", () => {
    const { sequencer, record } = syncedAt(10, { maxHeld: 5 });
    sequencer.receive(run(20, 30));
    assert.equal(record.snapshots, 1);
    assert.equal(sequencer.holding, 0);
  });

  test("a real event and a stub of the same seq: the event is applied", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(stub(12));
    sequencer.receive(event(12));
    sequencer.receive(event(11));
    assert.deepEqual(record.applied, [11, 12]);
  });

  test("before the first subscribe answers, live events are held and lastSeq stays null", () => {
    const { sequencer, record } = makeSequencer();
    sequencer.receive(event(5));
    sequencer.receive(event(6));
    assert.deepEqual(record.applied, []);
    assert.equal(sequencer.lastSeq, null);
    sequencer.synchronised({ seq: 5, snapshot: { seq: 5 } });
    assert.deepEqual(record.applied, [6], "5 is in the snapshot, 6 follows it");
  });

  test("a failed subscribe does not move lastSeq, and live events wait for the retry", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(11));
    sequencer.unsync(); // a subscribe is sent ... and fails: the link leaves it unsynced
    for (const seq of [13, 12, 14]) sequencer.receive(event(seq)); // even in order, held

    assert.deepEqual(record.applied, [11]);
    assert.equal(sequencer.lastSeq, 11, "the retry asks since 11");
    clock.tick(GAP_WAIT_MS * 3);
    assert.equal(record.catchUps, 0, "no gap timer while a subscribe is owed");
    // the retry's answer covers 12 and 13; 14 was held live
    sequencer.synchronised({ seq: 13, events: [event(12), event(13)] });
    assert.deepEqual(record.applied, [11, 12, 13, 14]);
  });

  test("a disconnect drops what was held; the next subscribe catches up", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.receive(event(12));
    sequencer.disconnected();
    assert.equal(sequencer.holding, 0);
    sequencer.receive(event(13)); // a straggler of the dropped link
    sequencer.disconnected();
    sequencer.synchronised({ seq: 13, events: [event(11), event(12), event(13)] });
    assert.deepEqual(record.applied, [11, 12, 13]);
  });

  test("a snapshot answer resets lastSeq, even to a lower number", () => {
    const { sequencer, record } = syncedAt(500);
    sequencer.unsync(); // the server's database was reset: it counts from 41 again
    sequencer.synchronised({ seq: 41, snapshot: { seq: 41 } });
    assert.equal(sequencer.lastSeq, 41);
    sequencer.receive(event(42));
    assert.deepEqual(record.applied, [42]);
  });

  test("past the bound, held events are dropped and a snapshot is asked for", () => {
    const { sequencer, record } = syncedAt(0, { maxHeld: 3 });
    for (const seq of [2, 3, 4]) sequencer.receive(event(seq));
    assert.equal(record.snapshots, 0);
    sequencer.receive(event(5));
    assert.equal(record.snapshots, 1);
    assert.equal(sequencer.holding, 0);
    clock.tick(GAP_WAIT_MS * 2);
    assert.equal(record.catchUps, 0);
    assert.equal(MAX_HELD, 1000);
  });

  test("an applied event that makes the page subscribe again stops the rest", () => {
    const applied = [];
    const s = new EventSequencer({
      apply: (e) => {
        applied.push(e.seq);
        if (e.type === "day_started") s.unsync(); // the page asks for a snapshot
      },
      catchUp: () => {},
      snapshot: () => {},
      timers: clock,
    });
    s.synchronised({ seq: 10, events: [] });
    s.receive(event(12));
    s.receive(event(11, "day_started"));
    assert.deepEqual(applied, [11], "12 waits for the snapshot's answer");
    assert.equal(s.synced, false);
    s.synchronised({ seq: 11, snapshot: { seq: 11 } });
    assert.deepEqual(applied, [11, 12]);

    // the same within a catch-up's answer
    s.unsync();
    s.synchronised({ seq: 15, events: [event(13), event(14, "day_started"), event(15)] });
    assert.deepEqual(applied, [11, 12, 13, 14]);
    assert.equal(s.synced, false);
    assert.equal(s.lastSeq, 14);
  });

  test("the gap wait can be changed on the fly", () => {
    const { sequencer, record } = syncedAt(10);
    sequencer.gapWaitMs = 200;
    sequencer.receive(event(12));
    clock.tick(200);
    assert.equal(record.catchUps, 1);
  });
});
