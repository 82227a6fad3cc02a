"""One package per study: everything only that study uses (see sim2model.registry)."""
