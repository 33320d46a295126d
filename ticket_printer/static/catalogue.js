// Finding what to issue a ticket for: every item, bundle (一件事) and queue of the hall,
// matched by name, code, pinyin initials (`bdc` → 不动产登记) or full pinyin, and ranked
// so that the usual choice comes first. Pure: the keys come from the server's catalogue
// (GET /api/v1/halls/{hall}/catalogue), computed there with a pinyin dictionary.

export const KINDS = ["item", "bundle", "queue"];

/** What a person typed, as the keys are written: lower case, no blanks or quotes. */
export function normalise(query) {
  return String(query ?? "")
    .toLowerCase()
    .replace(/ü/g, "v")
    .replace(/[\s'’"“”·・\-_]/g, "");
}

/** Every entry of a catalogue answer, one list: {kind, code, name, queue, initials,
 * pinyin, department?, items?}. Items first, then bundles, then queues: the order a
 * match of equal rank is listed in, after the shorter name. */
export function entriesOf(catalogue) {
  const entries = [];
  for (const item of catalogue?.items ?? []) entries.push({ ...item, kind: "item" });
  for (const bundle of catalogue?.bundles ?? []) entries.push({ ...bundle, kind: "bundle" });
  for (const queue of catalogue?.queues ?? []) entries.push({ ...queue, kind: "queue", queueKind: queue.kind, queue: queue.code });
  return entries;
}

/** How well `entry` matches the normalised query `q`: lower is better, null is no match.
 *  0 the code itself · 1 initials start with it · 2 the name starts with it · 3 the full
 *  pinyin starts with it · 4 initials contain it · 5 the name contains it · 6 the pinyin
 *  contains it · 7 the code contains it. */
export function rank(entry, q) {
  if (!q) return null;
  const name = normalise(entry.name);
  const code = normalise(entry.code); // id-card is typed idcard, or ID-CARD
  const initials = entry.initials ?? "";
  const pinyin = entry.pinyin ?? "";
  if (code === q) return 0;
  if (initials.startsWith(q)) return 1;
  if (name.startsWith(q)) return 2;
  if (pinyin.startsWith(q)) return 3;
  if (initials.includes(q)) return 4;
  if (name.includes(q)) return 5;
  if (pinyin.includes(q)) return 6;
  if (code.includes(q)) return 7;
  return null;
}

/** The entries that match `query`, best first, at most `limit`. Among equal ranks the
 * shorter name first (`bdc`: 不动产登记 before 不动产抵押登记), then items, bundles,
 * queues, then the hall file's order. An empty query matches nothing. */
export function search(entries, query, limit = 20) {
  const q = normalise(query);
  if (!q) return [];
  const found = [];
  entries.forEach((entry, index) => {
    const score = rank(entry, q);
    if (score !== null) found.push({ entry, score, index });
  });
  found.sort(
    (a, b) =>
      a.score - b.score ||
      [...a.entry.name].length - [...b.entry.name].length ||
      KINDS.indexOf(a.entry.kind) - KINDS.indexOf(b.entry.kind) ||
      a.index - b.index,
  );
  return found.slice(0, limit).map((match) => match.entry);
}

/** The issue request's target for an entry: {item}, {bundle} or {queue}. */
export function target(entry) {
  return { [entry.kind]: entry.code };
}
