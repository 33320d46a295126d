// The desk's station (docs/printing.md): where its tickets print. Set once per PC by
// `?station=desk-1` in the address, kept in localStorage so a bookmark without it still
// works, and changeable on the page. Pure but for the storage handed in.

export const STATION_KEY = "hallQueue.station";
const PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/; // the server's STATION_PATTERN

/** {ok: true, value} (trimmed; "" means none), or {ok: false} for a code the server refuses. */
export function checkStation(raw) {
  const value = String(raw ?? "").trim();
  if (value === "") return { ok: true, value: "" };
  return PATTERN.test(value) ? { ok: true, value } : { ok: false, value };
}

/**
 * The station to use from the address's query and what was stored:
 * {station (a code or null), source ("address" | "stored" | null), invalid (the
 * address's value when it is not a station code, else null)}. A valid address value wins
 * and should be stored; an invalid one is reported and the stored one kept.
 */
export function stationFrom(search, stored) {
  const wanted = new URLSearchParams(search ?? "").get("station");
  const kept = checkStation(stored);
  const fallback = kept.ok && kept.value ? { station: kept.value, source: "stored" } : { station: null, source: null };
  if (wanted === null) return { ...fallback, invalid: null };
  const checked = checkStation(wanted);
  if (!checked.ok) return { ...fallback, invalid: wanted };
  if (checked.value === "") return { ...fallback, invalid: null };
  return { station: checked.value, source: "address", invalid: null };
}
