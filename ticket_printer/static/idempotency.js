// One Idempotency-Key per ticket meant: a double Enter, a double tap or a retry after a
// lost answer sends the same request with the same key, and the server answers with the
// ticket it already issued (200, Idempotent-Replayed) instead of issuing a second one.
// A changed request (another item, priority or ID number) is another ticket meant and
// gets a new key; so does the next one once the server has answered.

/** A random key: 128 bits from the browser's generator (crypto.randomUUID needs a
 * secure context, which an intranet on plain HTTP is not). */
export function randomKey(prefix = "issue") {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `${prefix}-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export class IssueKeys {
  constructor(newKey = () => randomKey()) {
    this.newKey = newKey;
    this.pending = null; // {request, key} until the server answers
  }

  /** The key for this request: the pending one if it is the same request again. */
  keyFor(request) {
    const same = this.pending && sameRequest(this.pending.request, request);
    if (!same) this.pending = { request: { ...request }, key: this.newKey() };
    return this.pending.key;
  }

  /** The server answered (issued, or refused for a reason a retry would not change):
   * forget the request, ID number and all; the next one gets a new key. */
  settled() {
    this.pending = null;
  }
}

function sameRequest(a, b) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? null) !== (b[key] ?? null)) return false;
  return true;
}
