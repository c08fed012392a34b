"""What the time bank listens to in other apps (civic acts credited on a council's topic done, ...)."""


def connect() -> None:
    """Connect the receivers (written by the time-bank work)."""
