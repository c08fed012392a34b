"""百事服务团's indicators for the command centre (registered with dashboard.registry)."""


def register_indicators() -> None:
    """Register the service team's source and indicators (written by the indicators work)."""
