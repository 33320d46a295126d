// ID numbers as the server checks them (queue_server/domain/identity.py): an 18-digit
// resident ID must pass its check digit (GB 11643); other documents are 6 to 20 letters
// and digits. Checked here first so that a mistyped digit is caught at once; the number
// never leaves the page except in the issue request, and the page forgets it after.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";

/** {ok: true, value} with blanks removed and upper case, or {ok: false, error} where
 * error is "checksum" (18 characters, wrong check digit) or "format". Empty: {ok: true, value: ""}. */
export function checkIdNumber(raw) {
  const text = String(raw ?? "")
    .replace(/\s/g, "")
    .toUpperCase();
  if (text === "") return { ok: true, value: "" };
  if (text.length === 18 && /^\d{17}/.test(text)) {
    return text[17] === checkDigit(text.slice(0, 17))
      ? { ok: true, value: text }
      : { ok: false, error: "checksum" };
  }
  if (/^[A-Z0-9]{6,20}$/.test(text)) return { ok: true, value: text };
  return { ok: false, error: "format" };
}

/** The check character of the first 17 digits of a resident ID. */
export function checkDigit(first17) {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += Number(first17[i]) * WEIGHTS[i];
  return CHECK[total % 11];
}
