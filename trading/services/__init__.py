"""Domain services: the logic views and scripts call; they raise trading.errors, never HTTP."""
