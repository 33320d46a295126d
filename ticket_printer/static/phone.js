// What the ticket's QR code holds: the citizen's phone page for this ticket, `/t/<ref>`
// by the ticket's random public reference, on `base`, where phones reach the server (the
// page's `data-phone-base`, from the server's `public_base_url`: the printed ticket's
// QR code holds the same address). A ticket without a reference (none today) falls back
// to the ticket itself in words (hall, number, queue, day), which any phone's camera shows.

export function phoneAddress(ticket, base) {
  if (ticket?.phone_url) return ticket.phone_url;
  if (ticket?.ref) return `${base}/t/${encodeURIComponent(ticket.ref)}`;
  return null;
}

export function qrContent(ticket, base) {
  return (
    phoneAddress(ticket, base) ??
    [ticket?.hall?.name, ticket?.number, ticket?.queue_name, ticket?.service_day].filter(Boolean).join(" ")
  );
}
