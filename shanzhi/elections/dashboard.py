"""The elections' indicators for the command centre (registered with dashboard.registry)."""


def register_indicators() -> None:
    """Register the elections' source and indicators (written by the overview work)."""
