"""Officer pages (交易中心工作人员): projects from the method's spec, publish, amend, documents, answers, the opening hall."""
import copy
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

import jsonschema
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..errors import DomainError, NotFound, RequestInvalid, field_error
from ..i18n import LOCAL_TZ, _, instant, money
from ..methods import MONEY_PATTERN, SEALED
from ..models import Organization, Project
from ..schema import detail, json_numbers
from ..security import Permission
from ..services import documents, opening, projects
from ..timeutil import INSTANT_SCHEMA
from . import flash, form_errors
from .public import (
    LOT_LABELS,
    TIMELINE_LABELS,
    amendment_rows,
    key_instant,
    load_project,
    opening_view,
    polls_opening,
    timeline_rows,
)

RUNNING = ("announced", "opening", "evaluating", "auction", "publicity")
HOME_LIMIT = 200
MAX_LOTS = 100
MONEY_FIELDS = ("budget", "deposit", "start_price", "increment", "reserve_price")
LOCAL_INPUT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
ROW_KEY = re.compile(r"^(?P<group>[a-z_.]+)\[(?P<index>\d{1,3})\]\.(?P<field>[a-z_]+)$")
ROW_REF = re.compile(r"^(?P<group>[a-z_.]+)\[(?P<index>\d{1,3})\]$")
INTEGER = re.compile(r"^-?\d+$")
OPENING_POLL_MS = 2000
# clearer words than "Has the wrong format." for the patterns the methods use
PATTERN_MESSAGES = {
    MONEY_PATTERN: _("Enter an amount in yuan with at most 2 decimals, such as 1250000.00."),
    r"^[a-z0-9_]{1,32}$": _("Use lower-case letters, digits and _ only (at most 32)."),
}

PARAM_LABELS = {
    "decrypt_minutes": _("Decryption window (minutes)"),
    "evaluation": _("Evaluation method"),
    "criteria": _("Scoring criteria"),
    "price_formula": _("Price score formula"),
    "benchmark_discount": _("Benchmark discount"),
    "points_above": _("Points off per % above the benchmark"),
    "points_below": _("Points off per % below the benchmark"),
    "invitees": _("Invited organisations"),
    "category": _("Procurement category"),
    "sme_deduction": _("SME price deduction"),
    "supplier_org_id": _("Supplier"),
    "appraisal": _("Appraised value (CNY)"),
    "approval_ref": _("Approval reference"),
    "countdown_seconds": _("Bidding countdown (seconds)"),
}
ITEM_LABELS = {"code": _("Code"), "name": _("Name"), "max": _("Maximum score"), "kind": _("Kind")}
PARAM_HINTS = {
    "decrypt_minutes": _("Bidders decrypt their bids within this time after the opening starts."),
    "criteria": _("Needed for comprehensive scoring; the maximum scores add up to 100."),
    "evaluation": _("Lowest evaluated price, or comprehensive scoring with the criteria below."),
    "price_formula": _("Used with comprehensive scoring."),
    "points_above": _("Deviation formula only."),
    "points_below": _("Deviation formula only."),
    "benchmark_discount": _("Deviation formula only: 0.02 takes 2% off the mean price."),
    "invitees": _("Invited tendering needs at least 3. Hold Ctrl (or ⌘) to choose several."),
    "sme_deduction": _("A fraction: 0.10 to 0.20 for goods and services, 0.03 to 0.05 for works."),
    "supplier_org_id": _("The one organisation the purchase is negotiated with."),
    "appraisal": _("A start price below 90% of it needs an approval reference."),
    "countdown_seconds": _("Each accepted bid restarts the countdown."),
    "category": _("What is procured: goods, services or works."),
    "approval_ref": _("The approval's reference, needed for a start price below 90% of the appraisal."),
}
LOT_HINTS = {
    "budget": _("An opened price above it fails qualification."),
    "deposit": _("Leave empty for no deposit."),
    "reserve_price": _("Secret: only officers and inspectors see it."),
}
OPTION_LABELS = {
    "lowest_price": _("Lowest evaluated price"),
    "scoring": _("Comprehensive scoring"),
    "lowest": _("Lowest price"),
    "deviation": _("Deviation from the benchmark"),
    "goods": _("Goods"),
    "services": _("Services"),
    "works": _("Works"),
    "technical": _("Technical"),
    "business": _("Business"),
    "price": _("Price"),
}
SECTOR_ORDER = ("tendering", "procurement", "land", "equity")


# --- reading the form ------------------------------------------------------------------------------


def slug(name):
    return re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


def param_properties(method):
    return (method.params or {}).get("properties", {})


def lot_properties(method):
    return ["title", *method.lot_fields.get("properties", {})]


def param_widget(name, schema):
    """How a param is entered: enum → select, boolean → checkbox, numbers, text, rows of objects, multi-select."""
    if "enum" in schema:
        return "select"
    kind = schema.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if kind == "array":
        items = schema.get("items", {})
        if items.get("type") == "object":
            return "rows"
        if items.get("type") == "string" or "enum" in items:
            return "multiselect"
        return "json"
    if kind == "string":
        return "organisation" if name.endswith("_org_id") else "text"
    return "json"


def _rows(post, group, fields, drop=None):
    """The posted rows of a repeatable group in index order (lots[0].title, ...), blank rows kept."""
    found = {}
    for key in post:
        match = ROW_KEY.match(key)
        if match and match["group"] == group and match["field"] in fields:
            index = int(match["index"])
            if index != drop:
                found.setdefault(index, {})[match["field"]] = post.get(key, "").strip()
    return [found[index] for index in sorted(found)][:MAX_LOTS]


def _blank(row):
    return not any(str(value).strip() for value in row.values())


def values_from_post(request, method):
    """The form as entered: strings (lists for multi-selects, booleans for checkboxes), as the form shows them."""
    post = request.POST
    drop_group, drop_index = None, None
    match = ROW_REF.match(post.get("_remove", ""))
    if match:
        drop_group, drop_index = match["group"], int(match["index"])
    values = {
        "title": post.get("title", "").strip(),
        "description": post.get("description", "").strip(),
        "owner_org_id": post.get("owner_org_id", ""),
        "agent_org_id": post.get("agent_org_id", ""),
        "timeline": {name: post.get(f"timeline.{name}", "").strip() for name in method.timeline},
        "lots": _rows(post, "lots", lot_properties(method), drop_index if drop_group == "lots" else None),
        "params": {},
    }
    for name, schema in param_properties(method).items():
        key = f"params.{name}"
        widget = param_widget(name, schema)
        if widget == "checkbox":
            values["params"][name] = key in post
        elif widget == "multiselect":
            values["params"][name] = [value for value in post.getall(key) if value]
        elif widget == "rows":
            values["params"][name] = _rows(post, key, list(schema["items"].get("properties", {})),
                                           drop_index if drop_group == key else None)
        else:
            values["params"][name] = post.get(key, "").strip()
    return values


def row_action(request, method, values):
    """Add or remove a row without JavaScript: the form comes back with the rows changed, nothing saved."""
    added = request.POST.get("_add")
    if added == "lots":
        values["lots"].append({})
        return True
    if added and added.startswith("params."):
        name = added[len("params."):]
        if param_widget(name, param_properties(method).get(name, {})) == "rows":
            values["params"][name].append({})
            return True
    return ROW_REF.match(request.POST.get("_remove", "")) is not None


def compact(values, method):
    """Drop blank rows before saving, so that error indices match the rows the form shows again."""
    values["lots"] = [row for row in values["lots"] if not _blank(row)]
    for name, schema in param_properties(method).items():
        if param_widget(name, schema) == "rows":
            values["params"][name] = [row for row in values["params"][name] if not _blank(row)]


def initial_values(method):
    params = {}
    for name, schema in param_properties(method).items():
        widget = param_widget(name, schema)
        default = schema.get("default")
        if widget == "checkbox":
            params[name] = bool(default)
        elif widget in ("multiselect", "rows"):
            params[name] = []
        else:
            params[name] = "" if default is None else str(default)
    return {"title": "", "description": "", "owner_org_id": "", "agent_org_id": "",
            "timeline": {name: "" for name in method.timeline}, "lots": [{}], "params": params}


def local_input(moment):
    """An instant as a datetime-local input shows it: Beijing time to the minute."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def values_from_project(project, method):
    timeline = projects.timeline_of(project)
    stored_timeline = project.timeline or {}
    params = {}
    stored = project.params or {}
    for name, schema in param_properties(method).items():
        widget = param_widget(name, schema)
        value = stored.get(name)
        if widget == "checkbox":
            params[name] = bool(value)
        elif widget == "multiselect":
            params[name] = [str(item) for item in value or []]
        elif widget == "rows":
            params[name] = [{key: _text(item) for key, item in row.items()} for row in value or []]
        elif widget == "json":
            params[name] = "" if value is None else json.dumps(value, ensure_ascii=False)
        else:
            params[name] = _text(value)
    lots = []
    for lot in project.lots:
        row = {"title": lot.title}
        for name in lot_properties(method)[1:]:
            value = getattr(lot, name, None)
            row[name] = money(value) if value is not None else ""
        lots.append(row)
    return {
        "title": project.title,
        "description": project.description or "",
        "owner_org_id": project.owner_org_id or "",
        "agent_org_id": project.agent_org_id or "",
        # questions_until shows only when it was set: otherwise it follows the bid deadline
        "timeline": {name: local_input(timeline.get(name)) if name in stored_timeline else "" for name in method.timeline},
        "lots": lots or [{}],
        "params": params,
    }


def parse_local(text):
    """A datetime-local value (or 'YYYY-MM-DD HH:MM') taken as Beijing time; ValueError when it is not one."""
    if not LOCAL_INPUT.match(text):
        raise ValueError(text)
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=LOCAL_TZ)


def _number(text, integer):
    """A number field: an int or a Decimal, or the text itself so that the schema names the field."""
    if INTEGER.match(text):
        return int(text)
    if integer:
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    return value if value.is_finite() else text


def _money(text):
    return text.replace(",", "").replace(" ", "").replace("，", "")


def _scalar(name, schema, text):
    """One entered value as the API takes it, or None when left empty."""
    if text == "":
        return None
    widget = param_widget(name, schema)
    if widget == "number":
        return _number(text, schema.get("type") == "integer")
    if widget == "select":
        for option in schema["enum"]:
            if str(option) == text:
                return option
        return text
    if widget == "json":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def data_from_values(method, values, details, partial=False):
    """The API body from the form's values; entries that cannot be read go to details (field, message)."""
    data = {"method": method.code, "title": values["title"], "description": values["description"] or None,
            "agent_org_id": values["agent_org_id"] or None}
    if values["owner_org_id"]:
        data["owner_org_id"] = values["owner_org_id"]
    timeline = {}
    for name in method.timeline:
        text = values["timeline"].get(name, "")
        if not text:
            if partial:
                timeline[name] = None  # an edit that empties an instant removes it
            continue
        try:
            timeline[name] = instant(parse_local(text))
        except ValueError:
            details.append(field_error(f"timeline.{name}", _("Enter a date and time (YYYY-MM-DD HH:MM).")))
    data["timeline"] = timeline
    data["lots"] = []
    for row in values["lots"]:
        lot = {"title": row.get("title", "")}
        for name in lot_properties(method)[1:]:
            text = row.get(name, "")
            if text:
                lot[name] = _money(text) if name in MONEY_FIELDS else text
        data["lots"].append(lot)
    params = {}
    for name, schema in param_properties(method).items():
        widget = param_widget(name, schema)
        value = values["params"].get(name)
        required = name in method.params.get("required", [])
        if widget == "checkbox":
            params[name] = bool(value)
        elif widget == "multiselect":
            if value or required:
                params[name] = list(value or [])
        elif widget == "rows":
            items = schema["items"].get("properties", {})
            rows = [{key: converted for key, text in row.items()
                     if (converted := _scalar(key, items.get(key, {}), text)) is not None} for row in value or []]
            if rows:
                params[name] = rows
        else:
            converted = _scalar(name, schema, value or "")
            if converted is not None:
                params[name] = converted
    data["params"] = params
    return data


def form_schema(method):
    """The JSON Schema the form's body must meet: the API's shape with the method's lots, timeline and params."""
    params = copy.deepcopy(method.params or {"type": "object"})
    params.pop("$schema", None)
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 300},
            "description": {"type": ["string", "null"], "maxLength": 20000},
            "owner_org_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "agent_org_id": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 64}, {"type": "null"}]},
            "lots": {"type": "array", "minItems": 1, "maxItems": MAX_LOTS, "items": {
                "type": "object",
                "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 300},
                               **method.lot_fields.get("properties", {})},
                "required": ["title", *method.lot_fields.get("required", [])],
            }},
            "timeline": {"type": "object", "properties": {name: INSTANT_SCHEMA for name in method.timeline},
                         "required": list(method.required_timeline or method.timeline)},
            "params": params,
        },
        "required": ["title", "owner_org_id", "lots", "timeline", "params"],
    }


def checked_data(method, values, partial=False):
    """The body for the service, or RequestInvalid naming every field the form got wrong."""
    details = []
    data = data_from_values(method, values, details, partial=partial)
    shape = dict(data, timeline={k: v for k, v in data["timeline"].items() if v is not None})
    validator = jsonschema.Draft202012Validator(form_schema(method))
    for error in sorted(validator.iter_errors(json_numbers(shape)), key=lambda e: [str(p) for p in e.absolute_path]):
        item = detail(error)
        if error.validator == "pattern" and error.validator_value in PATTERN_MESSAGES:
            item["message"] = PATTERN_MESSAGES[error.validator_value]
        details.append(item)
    if details:
        raise RequestInvalid(details=details)
    return data


# --- building the form -------------------------------------------------------------------------------


class Form:
    """The fields of the project form, generated from the method's spec, with values and errors in place."""

    def __init__(self, request, method, values, errors=None):
        self.request = request
        self.translate = request.localizer.translate
        self.method = method
        self.values = values
        self.errors = (errors or {}).get("fields", {})
        self.ids = {}
        self.labels = {}
        orgs = organisations(request)
        self.owners = [(org.id, org.name) for org in orgs.get("owner", [])]
        self.agents = [(org.id, org.name) for org in orgs.get("agent", [])]
        self.bidders = [(org.id, org.name) for org in orgs.get("bidder", [])]

    def field(self, name, label, widget="text", value="", hint=None, required=False, options=(), blank=None,
              record=True, context=None, **attrs):
        field_id = "f-" + slug(name)
        if record:
            self.ids[name] = field_id
            self.labels[name] = f"{context} · {self.translate(label)}" if context else self.translate(label)
        return {"name": name, "id": field_id, "label": self.translate(label), "widget": widget, "value": value,
                "hint": self.translate(hint) if hint else None, "required": required,
                "options": [(value_, self.translate(text)) for value_, text in options],
                "blank": self.translate(blank) if blank is not None else None,
                "error": self.errors.get(name) if record else None, "attrs": attrs}

    def general(self):
        v = self.values
        return [
            self.field("title", _("Title"), value=v["title"], required=True, maxlength=300),
            self.field("description", _("Description"), "textarea", v["description"], rows=5, maxlength=20000,
                       hint=_("Scope, location, qualifications asked of bidders.")),
            self.field("owner_org_id", _("Owner"), "select", v["owner_org_id"], required=True, options=self.owners,
                       blank=_("Choose the owner"), hint=_("The tenderer, purchaser or transferor.")),
            self.field("agent_org_id", _("Agent"), "select", v["agent_org_id"], options=self.agents,
                       blank=_("No agent")),
        ]

    def timeline(self):
        required = self.method.required_timeline or self.method.timeline
        fields = []
        for name in self.method.timeline:
            hint = _("Optional: the bid deadline when empty.") if name == "questions_until" else None
            fields.append(self.field(f"timeline.{name}", TIMELINE_LABELS.get(name, name), "datetime",
                                     self.values["timeline"].get(name, ""), hint=hint, required=name in required))
        return fields

    def _lot_fields(self, index, row, record=True):
        required = ["title", *self.method.lot_fields.get("required", [])]
        fields = []
        for name in lot_properties(self.method):
            extra = {"maxlength": 300} if name == "title" else {"inputmode": "decimal", "autocomplete": "off"}
            fields.append(self.field(f"lots[{index}].{name}", LOT_LABELS.get(name, name), value=row.get(name, ""),
                                     hint=LOT_HINTS.get(name), required=name in required, record=record,
                                     context=self._row_context(_("Lot"), index), **extra))
        return fields

    def _row_context(self, item_label, index):
        return f"{self.translate(item_label)} {index + 1}" if isinstance(index, int) else None

    def lots(self):
        rows = self.values["lots"] or [{}]
        self.ids["lots"] = "f-lots"
        self.labels["lots"] = self.translate(_("Lots"))
        return {"name": "lots", "id": "f-lots", "label": self.translate(_("Lots")),
                "item_label": self.translate(_("Lot")), "add_label": self.translate(_("Add a lot")),
                "min": 1, "max": MAX_LOTS, "error": self.errors.get("lots"),
                "rows": [self._lot_fields(index, row) for index, row in enumerate(rows)],
                "template": self._lot_fields("__i__", {}, record=False)}

    def _param_field(self, name, schema, value, label, hint, required, record=True, context=None):
        widget = param_widget(name, schema)
        attrs = {}
        if widget == "number":
            attrs = {"min": schema.get("minimum"), "max": schema.get("maximum"),
                     "step": "1" if schema.get("type") == "integer" else "any"}
        elif widget == "text":
            attrs = {"maxlength": schema.get("maxLength")}
            if schema.get("pattern", "").startswith("^[0-9]"):
                attrs["inputmode"] = "decimal"
        if widget == "select":
            options = [(str(option), OPTION_LABELS.get(option, str(option))) for option in schema["enum"]]
            # no default: an empty first choice, so that nothing is chosen for the officer unseen
            blank = None if "default" in schema else (_("Choose") if required else _("Not set"))
            return self.field(name, label, "select", value, hint=hint, required=required, options=options,
                              blank=blank, record=record, context=context)
        if widget == "organisation":
            return self.field(name, label, "select", value, hint=hint, required=required, options=self.bidders,
                              blank=_("Choose an organisation"), record=record, context=context)
        if widget == "multiselect":
            items = schema.get("items", {})
            options = ([(str(o), OPTION_LABELS.get(o, str(o))) for o in items["enum"]] if "enum" in items
                       else self.bidders)
            return self.field(name, label, "multiselect", value or [], hint=hint, options=options, record=record, context=context)
        if widget == "checkbox":
            return self.field(name, label, "checkbox", bool(value), hint=hint, record=record, context=context)
        if widget == "json":
            return self.field(name, label, "textarea", value, hint=hint or _("A JSON value."), required=required,
                              record=record, context=context, rows=3)
        return self.field(name, label, "number" if widget == "number" else "text", value, hint=hint,
                          required=required, record=record, context=context, **attrs)

    def _row_fields(self, group, schema, index, row, record=True, label=None):
        items = schema["items"]
        required = items.get("required", [])
        context = self._row_context(label, index) if label else None
        return [self._param_field(f"{group}[{index}].{key}", sub, row.get(key, ""),
                                  ITEM_LABELS.get(key, key.replace("_", " ").capitalize()), None, key in required,
                                  record=record, context=context)
                for key, sub in items.get("properties", {}).items()]

    def params(self):
        out = []
        required = self.method.params.get("required", [])
        for name, schema in param_properties(self.method).items():
            key = f"params.{name}"
            label = PARAM_LABELS.get(name, name.replace("_", " ").capitalize())
            hint = PARAM_HINTS.get(name) or schema.get("description")
            value = self.values["params"].get(name)
            if param_widget(name, schema) == "rows":
                self.ids[key] = "f-" + slug(key)
                self.labels[key] = self.translate(label)
                out.append({"group": True, "name": key, "id": "f-" + slug(key), "label": self.translate(label),
                            "hint": self.translate(hint) if hint else None,
                            "item_label": self.translate(_("Row")), "add_label": self.translate(_("Add a row")),
                            "min": 0, "max": schema.get("maxItems", 50), "error": self.errors.get(key),
                            "rows": [self._row_fields(key, schema, index, row, label=label)
                                     for index, row in enumerate(value or [])],
                            "template": self._row_fields(key, schema, "__i__", {}, record=False)})
            else:
                out.append(self._param_field(key, schema, value, label, hint, name in required))
        return out

    def context(self):
        sections = {"general": self.general(), "timeline": self.timeline(), "lots": self.lots(),
                    "params": self.params()}
        return {"sections": sections, "ids": self.ids, "labels": self.labels}


def organisations(request):
    """Organisations by kind, for the owner, agent and bidder choices."""
    by_kind = {}
    for org in request.dbsession.execute(select(Organization).order_by(Organization.name, Organization.id)).scalars():
        by_kind.setdefault(org.kind, []).append(org)
    return by_kind


def form_page(request, method, values, errors=None, project=None):
    form = Form(request, method, values, errors)
    return {"method": method, "project": project, "errors": errors, **form.context()}


# --- home ----------------------------------------------------------------------------------------------


def _row(request, project):
    name, moment = key_instant(project)
    return {"project": project, "method_name": projects.method_of(request, project).name,
            "key_label": TIMELINE_LABELS.get(name), "key_at": moment}


@view_config(route_name="officer.home", renderer="officer/home.jinja2", permission=Permission.PROJECTS_MANAGE)
def home(request):
    drafts = request.dbsession.execute(
        select(Project).where(Project.status == "draft").order_by(Project.created_at.desc(), Project.id.desc())
        .limit(HOME_LIMIT)).scalars().all()
    running = request.dbsession.execute(
        select(Project).where(Project.status.in_(RUNNING)).order_by(Project.listed_at.desc(), Project.id.desc())
        .limit(HOME_LIMIT)).scalars().all()
    return {"drafts": [_row(request, p) for p in drafts], "running": [_row(request, p) for p in running]}


# --- new project and edit draft ------------------------------------------------------------------------


def _methods_by_sector(request):
    grouped = {}
    for spec in request.registry["methods"]:
        grouped.setdefault(spec.sector, []).append(spec)
    return [(sector, grouped[sector]) for sector in sorted(grouped, key=lambda s: (s not in SECTOR_ORDER,
                                                                                  SECTOR_ORDER.index(s) if s in SECTOR_ORDER else 0, s))]


def _choose_method(request, error=None):
    request.override_renderer = "officer/choose_method.jinja2"
    if error:
        request.response.status_int = 400
    return {"sectors": _methods_by_sector(request), "error": error}


@view_config(route_name="officer.project_new", renderer="officer/project_form.jinja2", request_method="GET",
             permission=Permission.PROJECTS_MANAGE)
def project_new(request):
    code = request.GET.get("method", "").strip()
    method = request.registry["methods"].get(code) if code else None
    if method is None:
        return _choose_method(request, _("Choose one of the trading methods.") if code else None)
    return form_page(request, method, initial_values(method))


@view_config(route_name="officer.project_new", renderer="officer/project_form.jinja2", request_method="POST",
             permission=Permission.PROJECTS_MANAGE)
def project_create(request):
    method = request.registry["methods"].get(request.POST.get("method", "").strip())
    if method is None:
        return _choose_method(request, _("Choose one of the trading methods."))
    values = values_from_post(request, method)
    if row_action(request, method, values):
        return form_page(request, method, values)
    compact(values, method)
    try:
        data = checked_data(method, values)
        with request.dbsession.begin_nested():
            project = projects.create(request, data)
    except DomainError as error:
        request.response.status_int = error.status
        return form_page(request, method, values, form_errors(request, error))
    flash(request, _("Draft ${code} saved. Check it, then publish it.", mapping={"code": project.code}))
    return HTTPSeeOther(location=request.route_url("officer.project", project_id=project.id))


def _draft_or_redirect(request, project):
    if project.status == "draft":
        return None
    flash(request, _("Only a draft can be edited; this project is ${status}.",
                     mapping={"status": request.localizer.translate(_(project.status))}))
    return HTTPSeeOther(location=request.route_url("officer.project", project_id=project.id))


@view_config(route_name="officer.project_edit", renderer="officer/project_form.jinja2", request_method="GET",
             permission=Permission.PROJECTS_MANAGE)
def project_edit(request):
    project = load_project(request, request.matchdict["project_id"])
    redirect = _draft_or_redirect(request, project)
    if redirect is not None:
        return redirect
    method = projects.method_of(request, project)
    return form_page(request, method, values_from_project(project, method), project=project)


@view_config(route_name="officer.project_edit", renderer="officer/project_form.jinja2", request_method="POST",
             permission=Permission.PROJECTS_MANAGE)
def project_update(request):
    project = load_project(request, request.matchdict["project_id"], for_update=True)
    redirect = _draft_or_redirect(request, project)
    if redirect is not None:
        return redirect
    method = projects.method_of(request, project)
    values = values_from_post(request, method)
    if row_action(request, method, values):
        return form_page(request, method, values, project=project)
    compact(values, method)
    try:
        data = checked_data(method, values, partial=True)
        del data["method"]
        with request.dbsession.begin_nested():
            projects.update(request, project, data)
    except DomainError as error:
        request.response.status_int = error.status
        return form_page(request, method, values, form_errors(request, error), project=project)
    flash(request, _("Draft ${code} saved.", mapping={"code": project.code}))
    return HTTPSeeOther(location=request.route_url("officer.project", project_id=project.id))


# --- the management page -------------------------------------------------------------------------------


def _required_text(request, name, limit, message):
    text = request.POST.get(name, "").strip()
    if not text:
        raise RequestInvalid(details=[field_error(name, message)])
    if len(text) > limit:
        raise RequestInvalid(details=[field_error(name, _("Must be at most ${n} characters long.",
                                                              mapping={"n": limit}))])
    return text


def _flash_warnings(request, warnings):
    for warning in warnings:
        flash(request, _("Warning: ${message}", mapping={"message": request.localizer.translate(warning.message)}))


def _publish(request, project):
    warnings = projects.publish(request, project)
    flash(request, _("Project ${code} is published.", mapping={"code": project.code}))
    _flash_warnings(request, warnings)


def _amend(request, project):
    method = projects.method_of(request, project)
    details, changes = [], {}
    text = request.POST.get("text", "").strip()
    if not text:
        details.append(field_error("text", _("Enter the text of the amendment.")))
    elif len(text) > 20000:
        details.append(field_error("text", _("Must be at most ${n} characters long.", mapping={"n": 20000})))
    for name in method.timeline:
        raw = request.POST.get(f"timeline.{name}", "").strip()
        if raw:
            try:
                changes[name] = instant(parse_local(raw))
            except ValueError:
                details.append(field_error(f"timeline.{name}", _("Enter a date and time (YYYY-MM-DD HH:MM).")))
    if details:
        raise RequestInvalid(details=details)
    _amendment, warnings = projects.amend(request, project, text, changes)
    flash(request, _("The amendment is published."))
    _flash_warnings(request, warnings)


def _upload(request, project):
    upload = request.POST.get("file")
    if getattr(upload, "filename", None) in (None, ""):
        raise RequestInvalid(details=[field_error("file", _("Choose a file to upload."))])
    document = documents.add_document(request, project, upload, request.POST.get("kind", ""))
    flash(request, _("${name} is uploaded.", mapping={"name": document.name}))


def _answer(request, project):
    question_id = request.POST.get("question_id", "")
    text = _required_text(request, "text", 10000, _("Enter the answer."))
    documents.answer(request, question_id, text, project=project)
    flash(request, _("The answer is published."))


def _terminate(request, project):
    reason = _required_text(request, "reason", 2000, _("Give the reason for terminating the project."))
    projects.terminate(request, project, reason)
    flash(request, _("Project ${code} is terminated.", mapping={"code": project.code}))


ACTIONS = {"publish": _publish, "amend": _amend, "upload": _upload, "answer": _answer, "terminate": _terminate}


def _amendment_fields(request, project, values, errors):
    """The amendment form: its text and each instant of the method (empty = unchanged)."""
    translate = request.localizer.translate
    fields_errors = (errors or {}).get("fields", {})
    current = projects.timeline_of(project)
    out = []
    for name in projects.method_of(request, project).timeline:
        key = f"timeline.{name}"
        now = current.get(name)
        out.append({"name": key, "id": "amend-" + slug(key), "label": translate(TIMELINE_LABELS.get(name, name)),
                    "widget": "datetime", "value": values.get(key, ""), "error": fields_errors.get(key),
                    "hint": translate(_("Now ${at}; leave empty to keep it.", mapping={"at": local_input(now).replace("T", " ")}))
                    if now else translate(_("Not set; leave empty to keep it so."))})
    return out


def _org_name(request, org_id):
    org = request.dbsession.get(Organization, org_id) if isinstance(org_id, str) else None
    return org.name if org is not None else str(org_id)


def param_rows(request, project, method):
    """The project's params as people read them: (label, text or list of texts)."""
    translate = request.localizer.translate
    properties = param_properties(method)
    rows = []
    for name, value in (project.params or {}).items():
        schema = properties.get(name, {})
        widget = param_widget(name, schema)
        label = translate(PARAM_LABELS.get(name, name.replace("_", " ").capitalize()))
        if widget == "rows":
            shown = []
            for row in value or []:
                if {"code", "name", "max", "kind"} <= set(row):
                    shown.append(f"{row['name']} ({row['code']}): {_text(row['max'])} · "
                                 f"{translate(OPTION_LABELS.get(row['kind'], row['kind']))}")
                else:
                    shown.append(", ".join(f"{key}: {_text(item)}" for key, item in row.items()))
        elif widget == "multiselect":
            shown = [_org_name(request, item) if "enum" not in schema.get("items", {}) else str(item)
                     for item in value or []]
        elif widget == "organisation":
            shown = _org_name(request, value)
        elif widget == "select":
            shown = translate(OPTION_LABELS.get(value, str(value)))
        elif widget == "checkbox":
            shown = translate(_("yes") if value else _("no"))
        elif isinstance(value, (dict, list)):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = _text(value)
        rows.append((label, shown))
    return rows


def management_page(request, project, failed=None):
    method = projects.method_of(request, project)
    failed = failed or {}
    values = failed.get("entered", {}) if failed.get("action") == "amend" else {}
    errors = failed.get("errors") if failed.get("action") == "amend" else None
    status = project.status
    amend_fields = _amendment_fields(request, project, values, errors)
    return {
        "project": project,
        "method": method,
        "timeline": timeline_rows(request, project),
        "amendments": amendment_rows(project),
        "documents": documents.list_documents(request, project),
        "questions": documents.list_questions(request, project),
        "lot_fields": [name for name in MONEY_FIELDS if name in method.lot_fields.get("properties", {})],
        "lot_labels": LOT_LABELS,
        "kinds": documents.DOCUMENT_KINDS,
        "failed": failed,
        "amend_fields": amend_fields,
        "amend_ids": {"text": "amend-text", **{f["name"]: f["id"] for f in amend_fields}},
        "amend_labels": {"text": request.localizer.translate(_("Text of the amendment")),
                         **{f["name"]: f["label"] for f in amend_fields}},
        "params": param_rows(request, project, method),
        "can": {
            "edit": status == "draft",
            "publish": status == "draft",
            "amend": status == "announced",
            "upload": status != "terminated",
            "answer": status != "terminated",
            "terminate": status not in projects.FINAL_STATUSES,
            "opening": method.kind == SEALED and status != "draft",
        },
    }


@view_config(route_name="officer.project", renderer="officer/project.jinja2", request_method="GET",
             permission=Permission.PROJECTS_MANAGE)
def project_page(request):
    return management_page(request, load_project(request, request.matchdict["project_id"]))


@view_config(route_name="officer.project", renderer="officer/project.jinja2", request_method="POST",
             permission=Permission.PROJECTS_MANAGE)
def project_action(request):
    project = load_project(request, request.matchdict["project_id"], for_update=True)
    action = request.POST.get("action", "")
    handler = ACTIONS.get(action)
    try:
        if handler is None:
            raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
        with request.dbsession.begin_nested():
            handler(request, project)
    except DomainError as error:
        request.response.status_int = error.status
        values = {key: value for key, value in request.POST.items() if isinstance(value, str) and key != "csrf_token"}
        return management_page(request, project, {"action": action, "errors": form_errors(request, error),
                                                  "entered": values, "question_id": request.POST.get("question_id")})
    return HTTPSeeOther(location=request.route_url("officer.project", project_id=project.id))


# --- the opening hall (开标大厅) ---------------------------------------------------------------------------


def _sealed_project(request, for_update=False):
    project = load_project(request, request.matchdict["project_id"], for_update=for_update)
    if project.kind != SEALED:
        raise NotFound(message=_("This trading method has no bid opening; it ends in a public auction."))
    return project


def opening_page(request, project, errors=None, action=None):
    record = opening_view(request, project)
    return {"project": project, "record": record, "poll": polls_opening(request, project, record),
            "poll_interval": OPENING_POLL_MS, "errors": errors, "action": action,
            "bid_deadline": projects.timeline_of(project).get("bid_deadline")}


@view_config(route_name="officer.opening", renderer="officer/opening.jinja2", request_method="GET",
             permission=Permission.PROJECTS_MANAGE)
def opening_hall(request):
    return opening_page(request, _sealed_project(request))


@view_config(route_name="officer.opening", renderer="officer/opening.jinja2", request_method="POST",
             permission=Permission.PROJECTS_MANAGE)
def opening_action(request):
    project = _sealed_project(request)
    action = request.POST.get("action", "")
    try:
        with request.dbsession.begin_nested():
            if action == "start":
                project = opening.start(request, project.id)
            elif action == "close":
                project = opening.close(request, project.id)
            else:
                raise RequestInvalid(details=[field_error("action", _("Unknown action."))])
    except DomainError as error:
        request.response.status_int = error.status
        request.dbsession.expire(project)
        return opening_page(request, project, form_errors(request, error), action)
    if action == "start" and project.status == "failed":
        flash(request, _("No lot had enough bids: every lot failed unopened."))
    elif action == "start":
        flash(request, _("The opening has started; bidders can decrypt their bids."))
    else:
        flash(request, _("The opening is closed; the record is ready."))
    return HTTPSeeOther(location=request.route_url("officer.opening", project_id=project.id))
