"""HTML pages of the expert pool, the draws and the invitations."""
