"""Expert pool, specialties, import, the verifiable draw and invitations (a built-in plugin)."""
