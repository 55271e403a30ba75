"""The expert pool: identity numbers, create and edit, suspension, declared conflicts, CSV and XLSX import."""
import csv
import io

from sqlalchemy import select
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as NumberError

from trading import audit
from trading.errors import Conflict, Forbidden, NotFound, RequestInvalid, RulesViolated, RuleViolation, field_error
from trading.i18n import _, instant
from trading.services.accounts import check_uscc

from .models import Expert, ExpertConflict, ExpertSpecialty, Specialty

FIELDS = ("name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title")


def check_id_number(value):
    """An 18-character resident identity number (居民身份证号码): date, region and check character; returns (number, birth date)."""
    number = ric.compact(str(value or "")).upper()
    try:
        # length, digits, check character and birth date; not the region, whose list in the
        # library lags the official one and would refuse real numbers
        if len(number) != 18 or not number[:17].isdigit() or number[-1] != ric.calc_check_digit(number):
            raise ValueError(number)
        return number, ric.get_birth_date(number)
    except (NumberError, ValueError):
        raise RulesViolated([RuleViolation(
            "expert.id_invalid",
            _("The identity number ${number} is not valid (18 characters, a real birth date and a correct check character).",
              mapping={"number": number}),
            field="id_number")]) from None


def known_specialties(dbsession, codes):
    found = set(dbsession.execute(select(Specialty.code).where(Specialty.code.in_(list(codes)))).scalars())
    return [code for code in codes if code not in found]


def _check_fields(request, data, partial=False):
    details = []
    codes = data.get("specialties")
    if codes is not None:
        codes = list(dict.fromkeys(c.strip().upper() for c in codes if c and c.strip()))
        if not codes:
            details.append(field_error("specialties", _("Name at least one specialty.")))
        unknown = known_specialties(request.dbsession, codes)
        if unknown:
            details.append(field_error("specialties", _("Unknown specialty codes: ${codes}.", mapping={"codes": ", ".join(unknown)})))
        data["specialties"] = codes
    if details:
        raise RequestInvalid(details=details)
    if data.get("employer_uscc"):
        data["employer_uscc"] = check_uscc(data["employer_uscc"].strip().upper(), field="employer_uscc")
    return data


def create(request, data, audit_action="expert.create"):
    number, birth = check_id_number(data["id_number"])
    data = _check_fields(request, dict(data))
    if request.dbsession.execute(select(Expert.id).where(Expert.id_number == number)).first():
        raise Conflict("expert.exists", _("An expert with this identity number is already in the pool."))
    now = request.clock.now()
    expert = Expert(name=data["name"].strip(), id_number=number, birth_date=birth, phone=data.get("phone"),
                    employer_name=data.get("employer_name"), employer_uscc=data.get("employer_uscc"),
                    region_code=data.get("region_code"), title=data.get("title"), status="active",
                    created_at=now, updated_at=now,
                    specialties=[ExpertSpecialty(code=code) for code in data["specialties"]])
    request.dbsession.add(expert)
    request.dbsession.flush()
    audit.record(request, audit_action, expert, {"name": expert.name, "specialties": data["specialties"],
                                                 "employer_uscc": expert.employer_uscc})
    return expert


EDITABLE = ("name", "phone", "employer_name", "employer_uscc", "region_code", "title")


def update(request, expert, data, audit_action="expert.update"):
    data = _check_fields(request, dict(data), partial=True)
    changed = {}
    for name in EDITABLE:
        if name in data and data[name] != getattr(expert, name):
            changed[name] = data[name]
            setattr(expert, name, data[name])
    if data.get("specialties") is not None and data["specialties"] != expert.specialty_codes:
        changed["specialties"] = data["specialties"]
        expert.specialties = [ExpertSpecialty(code=code) for code in data["specialties"]]
    if "status" in data:
        status = data["status"]
        until = data.get("suspended_until")
        reason = data.get("suspension_reason", expert.suspension_reason)
        if status == "active":
            until, reason = None, None
        if status != expert.status or until != expert.suspended_until or reason != expert.suspension_reason:
            changed.update(status=status, suspended_until=until, suspension_reason=reason)
        expert.status, expert.suspended_until, expert.suspension_reason = status, until, reason
    if not changed:
        return expert
    expert.updated_at = request.clock.now()
    request.dbsession.flush()
    audit.record(request, audit_action, expert, changed)
    return expert


def get(request, expert_id):
    expert = request.dbsession.get(Expert, expert_id)
    if expert is None:
        raise NotFound()
    return expert


def declare_conflict(request, expert, org_uscc, reason):
    user = request.identity
    if user.role == "expert" and user.expert_id != expert.id:
        raise Forbidden(message=_("An expert declares conflicts for itself only."))
    code = check_uscc(org_uscc.strip().upper(), field="org_uscc")
    conflict = ExpertConflict(expert_id=expert.id, org_uscc=code, reason=reason.strip(), declared_at=request.clock.now(),
                              declared_by=user.id)
    request.dbsession.add(conflict)
    request.dbsession.flush()
    audit.record(request, "expert.conflict", conflict, {"expert_id": expert.id, "org_uscc": code, "reason": conflict.reason})
    return conflict


def mask(number):
    return number[:6] + "********" + number[-4:] if number else number


def expert_json(expert, full=True):
    body = {
        "id": expert.id, "name": expert.name, "phone": expert.phone, "employer_name": expert.employer_name,
        "employer_uscc": expert.employer_uscc, "specialties": expert.specialty_codes, "region_code": expert.region_code,
        "title": expert.title, "status": expert.status, "suspended_until": instant(expert.suspended_until),
        "birth_date": expert.birth_date.isoformat(),
        "id_number": expert.id_number if full else mask(expert.id_number),
        "conflicts": [{"id": c.id, "org_uscc": c.org_uscc, "reason": c.reason, "declared_at": instant(c.declared_at)}
                      for c in expert.conflicts],
    }
    return body


# --- import --------------------------------------------------------------------------------


def read_rows(filename, data):
    """The data rows of a CSV (UTF-8) or XLSX file as dicts keyed by the header row."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        return _xlsx_rows(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RequestInvalid(details=[field_error("file", _("The CSV file must be UTF-8."))]) from None
    reader = csv.DictReader(io.StringIO(text))
    _check_header(reader.fieldnames)
    return [dict(row) for row in reader]


def _check_header(names):
    missing = [name for name in ("name", "id_number", "specialties") if name not in (names or [])]
    if missing:
        raise RequestInvalid(details=[field_error("file", _("The header row lacks: ${names}.",
                                                            mapping={"names": ", ".join(missing)}))])


def _xlsx_rows(data):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise RequestInvalid(details=[field_error("file", _("The file is neither UTF-8 CSV nor XLSX."))]) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, [])]
    _check_header(header)
    out = []
    for values in rows:
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append({header[i]: _cell_text(v) for i, v in enumerate(values) if i < len(header)})
    workbook.close()
    return out


def _cell_text(value):
    """A cell as text; whole numbers without ".0" (an 18-digit number stored as a number has lost digits:
    the identity-number check then refuses it, and the sheet should keep such columns as text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_rows(request, rows, progress=None):
    """Create or update one expert per row, each in its own savepoint: a bad row never stops the good ones."""
    created = updated = 0
    errors = []
    translate = request.localizer.translate
    for index, row in enumerate(rows, start=1):
        data = {name: (row.get(name) or "").strip() for name in FIELDS}
        data["specialties"] = [c for c in data["specialties"].replace("；", ";").split(";") if c.strip()]
        for name in ("phone", "employer_name", "employer_uscc", "region_code", "title"):
            data[name] = data[name] or None
        savepoint = request.dbsession.begin_nested()
        try:
            if not data["name"]:
                raise RequestInvalid(details=[field_error("name", _("This field is required."))])
            number, _birth = check_id_number(data["id_number"])
            existing = request.dbsession.execute(select(Expert).where(Expert.id_number == number)).scalar_one_or_none()
            if existing is None:
                create(request, data, audit_action="expert.import")
                created += 1
            else:
                update(request, existing, data, audit_action="expert.import_update")
                updated += 1
            savepoint.commit()
        except (RulesViolated, RequestInvalid) as error:
            savepoint.rollback()
            messages = [translate(d["message"]) for d in error.details] or [translate(error.message)]
            errors.append({"row": index, "message": "; ".join(messages)})
        except Exception as error:  # a row the database refuses (too long, ...) is reported, not fatal
            savepoint.rollback()
            errors.append({"row": index, "message": str(error).splitlines()[0][:300]})
        if progress is not None:
            progress(index, len(rows))
    audit.record(request, "expert.import_summary", object_type="expert_import", object_id=None,
                 data={"created": created, "updated": updated, "errors": len(errors)})
    return {"created": created, "updated": updated, "errors": errors}


def parse_until(value):
    if value in (None, ""):
        return None
    from trading.timeutil import parse_instant

    return parse_instant(value)

