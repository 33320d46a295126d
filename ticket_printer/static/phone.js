// What the ticket's QR code holds: the citizen's phone page for this ticket. The phone
// page (`/t/<ref>`, issue 8) and the ticket's random public reference come with another
// part of the issue; until a ticket carries `phone_url` or `ref`, the code holds the
// ticket itself in words (hall, number, queue, day), which any phone's camera shows.

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
