// How long a ticket taken now would wait: the server's figure, never one computed here.
// The catalogue carries each queue's `estimated_wait_minutes` from the hall's predictions
// (queue_server/services/estimates.py, docs/estimates.md), and the server pushes
// `queue_waits_estimated` whenever a figure changes (a call, a window opening, time
// passing): `applyQueueWaits` keeps the catalogue's figures current. The waiting count
// and the windows open come live from the page's HallModel.

/** Take the server's new figures into the catalogue's queues; true when one changed.
 * Figures of another hall or another service day are ignored. */
export function applyQueueWaits(catalogue, pushed) {
  if (!catalogue || !pushed || typeof pushed.queues !== "object" || pushed.queues === null) return false;
  if (pushed.hall !== catalogue.hall?.code || pushed.service_day !== catalogue.service_day) return false;
  let changed = false;
  for (const queue of catalogue.queues) {
    const minutes = pushed.queues[queue.code];
    if (Number.isInteger(minutes) && minutes >= 0 && minutes !== queue.estimated_wait_minutes) {
      queue.estimated_wait_minutes = minutes;
      changed = true;
    }
  }
  return changed;
}

/** A catalogue queue's figures now: the model's waiting count and open windows where it
 * has them (live), the catalogue's where it has not; the server's estimate. */
export function liveFigures(queue, model) {
  const live = model?.loaded ? model.queues.get(queue.code) : null;
  const waiting = live ? live.waiting : queue.waiting;
  let windowsOpen = queue.windows_open;
  if (model?.loaded && model.windows.size > 0) {
    windowsOpen = queue.windows.filter((number) => model.windows.get(number)?.status === "open").length;
  }
  const remaining = Math.max(queue.daily_cap - queue.issued, 0);
  return {
    waiting,
    windowsOpen,
    remaining,
    full: remaining === 0,
    issuing: queue.issuing,
    estimatedWaitMinutes: queue.estimated_wait_minutes,
  };
}
