"""The Pyramid core of ggzy, the public resource trading platform (公共资源交易平台)."""
from .config import configure


def main(global_config, **settings):
    """The paste app factory: returns the WSGI application, once the database's schema is the code's."""
    from .migrate import check_schema

    config = configure(settings)
    check_schema(config.registry["dbengine"])
    app = config.make_wsgi_app()
    scheduler = config.registry.get("scheduler")
    if scheduler is not None:
        scheduler.start()
    return app
