"""Distribution of ggzy, the public resource trading platform (公共资源交易平台)."""
from setuptools import find_packages, setup

requires = [
    "pyramid>=2.0",
    "pyramid_tm>=2.5",
    "pyramid_retry>=2.1",
    "pyramid_jinja2>=2.10",
    "zope.sqlalchemy>=3.0",
    "SQLAlchemy>=2.0",
    "alembic>=1.13",
    "psycopg[binary]>=3.1",
    "pluggy>=1.3",
    "APScheduler>=3.10,<4",
    "WeasyPrint>=60",
    "argon2-cffi>=23.1",
    "cryptography>=42",
    "Babel>=2.14",
    "python-stdnum>=1.19",
    "chinesecalendar>=1.9",
    "openpyxl>=3.1",
    "segno>=1.6",
    "jsonschema>=4.20",
    "waitress>=3.0",
    "gunicorn>=22",
    "plaster_pastedeploy",
]

testing = [
    "WebTest>=3.0",
    "pytest>=8",
    "pytest-xdist>=3.5",
    # drives Debian's chromium (never its own browser download) for tests/browser
    "playwright>=1.45",
    # generates requests from our OpenAPI document for the bad-input tests
    "schemathesis>=3.30",
]

setup(
    name="ggzy",
    version="0.1.0",
    description="Public resource trading platform (公共资源交易平台)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["trading*", "plugins*", "experts*", "monitoring*"]),
    include_package_data=True,
    zip_safe=False,
    install_requires=requires,
    extras_require={"testing": testing},
    entry_points={
        "paste.app_factory": ["main = trading:main"],
        "console_scripts": ["ggzy = trading.cli:main"],
        "ggzy.plugins": [
            "tendering = plugins.tendering",
            "procurement = plugins.procurement",
            "land = plugins.land",
            "equity = plugins.equity",
        ],
    },
)
