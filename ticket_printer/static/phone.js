// What the ticket's QR code holds: the citizen's phone page for this ticket, `/t/<ref>`
// by the ticket's random public reference (or the server's `phone_url` where the hall
// sets a public base URL). A ticket without either (none today) falls back to the ticket
// itself in words (hall, number, queue, day), which any phone's camera shows.

export function phoneAddress(ticket, origin) {
  if (ticket?.phone_url) return ticket.phone_url;
  if (ticket?.ref) return `${origin}/t/${encodeURIComponent(ticket.ref)}`;
  return null;
}

export function qrContent(ticket, origin) {
  return (
    phoneAddress(ticket, origin) ??
    [ticket?.hall?.name, ticket?.number, ticket?.queue_name, ticket?.service_day].filter(Boolean).join(" ")
  );
}
