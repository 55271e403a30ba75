"""Reference data `ggzy initdb` loads: each loader is idempotent and says what it added."""

LOADERS = []


def loader(func):
    LOADERS.append(func)
    return func


def load_all(request):
    """The core's loaders, then every plugin's ggzy_reference_data."""
    loaded = {func.__name__: func(request) for func in LOADERS}
    for result in request.registry["plugin_manager"].hook.ggzy_reference_data(request=request):
        if result:
            loaded.update(result)
    return loaded


def _register_loaders():
    """The modules whose @loader functions `ggzy initdb` runs (imported here, not by side effect)."""
    from .services import policies  # noqa: F401


_register_loaders()
