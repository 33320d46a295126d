// What a refusal from the server means for the person at the desk or the kiosk: a
// message key (translated by the page) and the server's own sentence, which is Chinese
// and says the specifics (the queue's hours, the number already held). Pure.

/** The message key for a problem+json body (or a network failure): queue_full,
 * queue_closed, duplicate_ticket, bad_id, not_found, session_ended, forbidden,
 * busy, network, or failed. */
export function problemKey(answer) {
  if (!answer || answer.network) return "network";
  const problem = answer.problem ?? {};
  switch (problem.code) {
    case "queue_full":
      return "queue_full";
    case "queue_closed":
      return "queue_closed";
    case "duplicate_ticket":
      return "duplicate_ticket";
    case "not_found":
      return "not_found";
    case "unauthenticated":
      return "session_ended";
    case "forbidden":
    case "csrf_failed":
      return "forbidden";
    case "store_busy":
      return "busy";
    case "invalid_input":
      return problem.field === "id_number" ? "bad_id" : "failed";
    default:
      return "failed";
  }
}

/** Whether a retry of the very same request could succeed (keep its Idempotency-Key). */
export function worthRetrying(answer) {
  return Boolean(answer?.network) || answer?.problem?.code === "store_busy";
}
