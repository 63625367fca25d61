"""The rules, one module per concern: the CLI, the console, the JSON API, the daemon and scheduled reports call
these and decide nothing themselves; the services call the store, which holds the SQL."""
