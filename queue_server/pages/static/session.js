// What every staff page does with the server: who is signed in, its CSRF token, and
// calls to /api/v1 that come back as {ok, status, data, problem, retryAfter} — never a
// thrown error for an answer the server gave. A network failure is {ok: false,
// network: true}. Pure enough to test: `fetch` and `location` are injectable.

/** Where a sign-in may return to: a path on this server only. Anything else (another
 * origin, `//host`, `/\host`, a `javascript:` address, nothing) is `fallback`. */
export function safeNext(next, origin, fallback = "/") {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return fallback;
  }
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  return url.pathname + url.search + url.hash;
}

/** The sign-in page's address that comes back to `path` afterwards. */
export function signInAddress(path) {
  return `/login?next=${encodeURIComponent(path)}`;
}

/** Seconds from a Retry-After header (seconds or an HTTP date); null if absent or unreadable. */
export function retryAfterSeconds(header, now = Date.now()) {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export class Api {
  /** csrf: the token POST /api/v1/session returned (sent on POST, PUT, DELETE);
   * bearer: a device token instead (the kiosk). */
  constructor({ csrf = null, bearer = null, fetcher = (...args) => globalThis.fetch(...args) } = {}) {
    this.csrf = csrf;
    this.bearer = bearer;
    this.fetcher = fetcher;
  }

  async request(method, path, { body, headers = {} } = {}) {
    const sent = { ...headers };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (this.bearer) sent.Authorization = `Bearer ${this.bearer}`;
    else if (this.csrf && method !== "GET") sent["X-CSRF-Token"] = this.csrf;
    let response;
    try {
      response = await this.fetcher(`/api/v1${path}`, {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      return { ok: false, status: 0, network: true, problem: null, error: String(error) };
    }
    let data = null;
    const type = response.headers.get("Content-Type") ?? "";
    if (response.status !== 204 && type.includes("json")) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    const answer = { ok: response.ok, status: response.status, headers: response.headers };
    if (response.ok) return { ...answer, data };
    return {
      ...answer,
      problem: data && typeof data === "object" ? data : { status: response.status, detail: null, code: null },
      retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
      // a gateway's or a restarting server's answer: worth trying again with the same key
      network: response.status >= 502 && response.status <= 504,
    };
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body, headers) {
    return this.request("POST", path, { body, headers });
  }
}

/** Who is signed in: {user, csrf_token}, or null when nobody (401). */
export async function currentSession(api = new Api()) {
  const answer = await api.get("/session");
  return answer.ok ? answer.data : null;
}
