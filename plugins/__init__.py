"""The sector plugins: tendering, procurement, land, equity."""
