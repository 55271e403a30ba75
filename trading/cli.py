"""The `ggzy` command: initdb, create-user, demo, sweep, scheduler, audit-verify."""
import argparse
import json
import logging
import signal
import sys

from pyramid.paster import get_appsettings, setup_logging
from pyramid.scripting import prepare

from . import audit
from .config import configure
from .errors import DomainError
from .migrate import SchemaBehind, check_schema, upgrade
from .models.accounts import ROLES
from .settings import SettingsError

log = logging.getLogger(__name__)  # under "trading", the logger the ini files set to INFO


def load(ini, scheduler="off"):
    """The configured registry and a request for scripts, with no scheduler started."""
    setup_logging(ini)
    settings = dict(get_appsettings(ini, name="main"))
    settings["ggzy.scheduler"] = "off" if scheduler == "off" else settings.get("ggzy.scheduler", "inprocess")
    config = configure(settings)
    env = prepare(registry=config.registry)
    return config.registry, env


def _message(env, error):
    message = error.message
    return env["request"].localizer.translate(message) if hasattr(message, "domain") else str(message)


def cmd_initdb(args):
    from . import reference

    registry, env = load(args.ini)
    try:
        upgrade(registry["dbengine"])
        request = env["request"]
        with request.tm:
            loaded = reference.load_all(request)
        print(f"schema at head; reference data: {loaded}")
    finally:
        env["closer"]()
    return 0


def cmd_create_user(args):
    from .services import accounts

    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    if not password:
        print("ggzy create-user: give the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    if args.expert_id and args.role != "expert":
        print("ggzy create-user: --expert-id links an expert's login: use it with --role expert", file=sys.stderr)
        return 2
    registry, env = load(args.ini)
    request = env["request"]
    try:
        with request.tm:
            if args.expert_id:
                from experts.models import Expert

                if request.dbsession.get(Expert, args.expert_id) is None:
                    print(f"ggzy create-user: no expert of the pool has the id {args.expert_id}", file=sys.stderr)
                    return 1
            user = accounts.create_user(request, username=args.username, password=password, role=args.role,
                                        org_id=args.org, expert_id=args.expert_id, display_name=args.display_name)
            user_id = user.id
    except DomainError as error:
        print(f"ggzy create-user: {error.code}: {_message(env, error)}", file=sys.stderr)
        for detail in error.details:
            print(f"  {detail.get('rule') or detail.get('field')}: {env['request'].localizer.translate(detail['message'])}", file=sys.stderr)
        return 1
    finally:
        env["closer"]()
    print(json.dumps({"id": user_id, "username": args.username, "role": args.role, "org_id": args.org,
                      "expert_id": args.expert_id}))
    return 0


def cmd_demo(args):
    from . import demo

    registry, env = load(args.ini)
    request = env["request"]
    try:
        with request.tm:
            logins = demo.load(request)
    finally:
        env["closer"]()
    print("Demo logins (username / password):")
    for role, username, password in logins:
        print(f"  {role:<10} {username:<16} {password}")
    print("Where to start:")
    for line in demo.start_lines():
        print(line)
    return 0


def cmd_import_experts(args):
    from experts import pool

    from .i18n import _

    try:
        with open(args.file, "rb") as fileobj:
            data = fileobj.read()
    except OSError as error:
        print(f"ggzy import-experts: {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    shown = []

    def progress(done, total, width=30):
        # a plain bar redrawn in place with \r, at most once per percent: a captured stderr stays short
        step = done * 100 // total
        if shown and shown[-1] == step and done != total:
            return
        shown.append(step)
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}" + ("\n" if done == total else ""))
        sys.stderr.flush()

    _registry, env = load(args.ini)
    request = env["request"]
    translate = request.localizer.translate
    try:
        try:
            rows = pool.read_rows(args.file, data)
        except DomainError as error:
            reasons = [translate(detail["message"]) for detail in error.details] or [_message(env, error)]
            print(f"ggzy import-experts: {args.file}: {'; '.join(reasons)}", file=sys.stderr)
            return 2
        with request.tm:
            result = pool.import_rows(request, rows, progress=progress)
    finally:
        env["closer"]()
    print(translate(_("Experts created: ${created}, updated: ${updated}, rows refused: ${failed}.",
                      mapping={"created": result["created"], "updated": result["updated"],
                               "failed": len(result["errors"])})))
    for error in result["errors"]:
        print(translate(_("row ${row}: ${message}", mapping=error)))
    return 1 if result["errors"] else 0


def cmd_sweep(args):
    from .scheduler import sweep

    registry, env = load(args.ini)
    try:
        applied = sweep(registry)
    finally:
        env["closer"]()
    for item in applied:
        print(json.dumps(item, ensure_ascii=False))
    print(f"{len(applied)} transition(s) applied")
    return 0


def cmd_scheduler(args):
    from .scheduler import Scheduler

    registry, env = load(args.ini)
    check_schema(registry["dbengine"])
    scheduler = Scheduler(registry, blocking=True)

    def stop(signum, frame):
        scheduler.shutdown()

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler running (interval %ss)", registry.settings["ggzy.sweep_interval_seconds"])
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        env["closer"]()
    return 0


def cmd_audit_verify(args):
    registry, env = load(args.ini)
    try:
        with registry["dbengine"].connect() as connection:
            result = audit.verify(connection)
    finally:
        env["closer"]()
    print(json.dumps(dict(result)))
    return 0 if result.ok else 1


def _translated(env, message):
    return env["request"].localizer.translate(message) if hasattr(message, "domain") else str(message)


def cmd_backup(args):
    from .backup import BackupError, backup

    registry, env = load(args.ini)
    try:
        manifest, problems = backup(registry, args.dir, logical=args.logical)
    except BackupError as error:
        for message in [error.message] + [p for p in error.problems if p is not error.message]:
            print(f"ggzy backup: {_translated(env, message)}", file=sys.stderr)
        return 1
    finally:
        env["closer"]()
    summary = {key: value for key, value in manifest.items() if key != "sha256"}
    print(json.dumps(summary, ensure_ascii=False))
    for problem in problems:
        print(f"ggzy backup: {_translated(env, problem)}", file=sys.stderr)
    return 1 if problems else 0


def cmd_restore(args):
    from .backup import BackupError, restore

    registry, env = load(args.ini)
    try:
        report = restore(registry, args.dir, force=args.force)
    except BackupError as error:
        for message in [error.message] + [p for p in error.problems if p is not error.message]:
            print(f"ggzy restore: {_translated(env, message)}", file=sys.stderr)
        return 1
    finally:
        env["closer"]()
    problems = report.pop("problems")
    print(json.dumps(report, ensure_ascii=False))
    for problem in problems:
        print(f"ggzy restore: {_translated(env, problem)}", file=sys.stderr)
    return 0 if report["ok"] else 1


def parser():
    top = argparse.ArgumentParser(prog="ggzy", description="ggzy public resource trading platform")
    commands = top.add_subparsers(dest="command", required=True)

    p = commands.add_parser("initdb", help="create or upgrade the schema and load reference data")
    p.add_argument("ini")
    p.set_defaults(run=cmd_initdb)

    p = commands.add_parser("create-user", help="create a user")
    p.add_argument("ini")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--org", default=None, help="organisation id")
    p.add_argument("--display-name", default=None)
    p.add_argument("--expert-id", default=None, help="link an expert's login to this expert of the pool")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(run=cmd_create_user)

    p = commands.add_parser("demo", help="load demo data and print the demo logins")
    p.add_argument("ini")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser(
        "import-experts", help="import experts from a CSV (UTF-8) or XLSX file",
        description="Import experts from a CSV (UTF-8) or XLSX file with the columns name, id_number, phone, "
                    "employer_name, employer_uscc, specialties (codes separated by ;), region_code, title. "
                    "Every row is created, or updated when its identity number is known, in its own savepoint of "
                    "one transaction: a bad row never stops the good ones. Prints the counts and one line per "
                    "refused row (row N: reason; N counts data rows from 1).",
        epilog="exit status: 0 when every row was imported, 1 when any row was refused, "
               "2 when the file cannot be read")
    p.add_argument("ini")
    p.add_argument("file", help="a .csv (UTF-8) or .xlsx file whose first row names the columns")
    p.set_defaults(run=cmd_import_experts)

    p = commands.add_parser("sweep", help="apply every due transition once and exit")
    p.add_argument("ini")
    p.set_defaults(run=cmd_sweep)

    p = commands.add_parser("scheduler", help="run the scheduler as its own process")
    p.add_argument("ini")
    p.set_defaults(run=cmd_scheduler)

    p = commands.add_parser("audit-verify", help="recompute the audit chain; exit status 1 if broken")
    p.add_argument("ini")
    p.set_defaults(run=cmd_audit_verify)

    p = commands.add_parser(
        "backup", help="copy the database and the file store into a directory, with a manifest",
        description="Copy the database (SQLite: the online backup API; PostgreSQL: pg_dump --format=custom, or a "
                    "logical dump when pg_dump is not installed) and the file store into DIR, then write "
                    "DIR/manifest.json: the time, the database kind, the schema revision, the audit head, the "
                    "number and size of the files and the SHA-256 of every file of the backup. Files already in "
                    "DIR are not copied again, so a backup into the same DIR is incremental.",
        epilog="exit status: 0 when the backup is complete, 1 when it failed or a stored file is damaged")
    p.add_argument("ini")
    p.add_argument("dir", help="the backup directory (created if missing)")
    p.add_argument("--logical", action="store_true",
                   help="dump every table as JSON lines instead (restorable into SQLite or PostgreSQL)")
    p.set_defaults(run=cmd_backup)

    p = commands.add_parser(
        "restore", help="restore a backup into the database and file store of INI, then verify",
        description="Check every file of the backup against its manifest, restore the database named in INI and "
                    "copy the files into its file store, then verify the audit chain, that every stored file's "
                    "SHA-256 equals its name and that every file the database names is present. A database that "
                    "holds data (users or audit events) is only replaced with --force. Stop the app first.",
        epilog="exit status: 0 when the restored site verifies, 1 when the backup is damaged, the restore was "
               "refused or a check failed (each problem is printed)")
    p.add_argument("ini")
    p.add_argument("dir", help="a directory written by ggzy backup")
    p.add_argument("--force", action="store_true", help="replace a database that already holds data")
    p.set_defaults(run=cmd_restore)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (SettingsError, SchemaBehind) as error:
        print(f"ggzy: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
