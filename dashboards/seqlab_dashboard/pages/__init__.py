"""The built-in views, each a plugin on the ``register_dashboard_panels`` hook."""
