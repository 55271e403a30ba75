"""Reference data `ggzy initdb` loads: each loader is idempotent and says what it added."""

LOADERS = []


def loader(func):
    LOADERS.append(func)
    return func


def load_all(request):
    return {func.__name__: func(request) for func in LOADERS}
