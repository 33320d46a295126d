"""The window's side of the hall: the clerk's console (`/counter`). docs/counter.md."""
