"""Full-process electronic monitoring: alert rules, the inspector's workspace, reports (a built-in plugin)."""
