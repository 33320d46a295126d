"""The window's side of the hall: the clerk's console and the review pad (`counter_client.pad`)."""
