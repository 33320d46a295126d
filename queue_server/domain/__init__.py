"""Pure rules of the hall: no I/O, no Flask, no sqlite, no socketio.

A unit test walks the imports of this package and fails if any of those creep in.
"""
