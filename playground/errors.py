"""Errors whose message is written for the person at the keyboard."""


class PlaygroundError(ValueError):
    """Bad input or a refused action. ``str(error)`` is shown to the user as it is."""
