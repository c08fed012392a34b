"""法律服务团: see the package docstring."""
