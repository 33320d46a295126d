"""The printed ticket and the printer agent.

- `ticket`: `PrintedTicket`, everything on a paper ticket, and its JSON job payload;
- `layout`: paper sizes and the ticket's layout, shared by the renderers;
- `escpos_render`: `render_escpos(ticket, paper) -> bytes`, pure;
- `preview`: the same layout as a PNG (Pillow, the CJK font).
"""
