// How long a ticket taken now would wait, by the server's own rule
// (queue_server/domain/estimate.py), kept live from the hall's events: the waiting count
// and the windows open come from the page's HallModel, the day's average handling time
// from the catalogue.

/** Whole minutes: people ahead × average minutes ÷ open windows serving the queue (the
 * configured ones before any opens, so an early ticket still gets an honest figure). */
export function estimateWaitMinutes(peopleAhead, averageMinutes, windowsOpen, windowsTotal) {
  const windows = windowsOpen > 0 ? windowsOpen : Math.max(windowsTotal, 1);
  // the server rounds up with Python's math.ceil; round first so that 2.0000000001 stays 2
  return Math.ceil(Number(((peopleAhead * averageMinutes) / windows).toFixed(9)));
}

/** A catalogue queue's figures now: the model's waiting count and open windows where it
 * has them (live), the catalogue's where it has not. */
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
    estimatedWaitMinutes: estimateWaitMinutes(waiting, queue.average_handling_minutes, windowsOpen, queue.windows.length),
  };
}
