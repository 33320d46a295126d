"""The window's side of the hall: the clerk's console (`/counter`, docs/counter.md) and the
review pad (`counter_client.pad`, `/pad`, docs/pad.md)."""
