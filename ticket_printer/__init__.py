"""The printed ticket and the printer agent.

- `ticket`: `PrintedTicket`, everything on a paper ticket, and its JSON job payload;
- `layout`: paper sizes and the ticket's layout, shared by the renderers;
- `escpos_render`: `render_escpos(ticket, paper) -> bytes`, pure;
- `preview`: the same layout as a PNG (Pillow, the CJK font);
- `outputs`: where the bytes go (raw TCP 9100, USB, a file) and the printer's status;
- `agent`: `Agent(output, paper).print_job(payload)`, what the printer agent does per job;
- `cli`: the `ticket-printer` command, with its test page.
"""
