"""Trading methods: the spec each sector plugin gives for a method, and the registry of them."""
from dataclasses import dataclass, field

SEALED = "sealed"
AUCTION = "auction"

SEALED_TIMELINE = ("docs_from", "docs_until", "bid_deadline", "questions_until")

MONEY_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def money_schema(description=None):
    schema = {"type": "string", "pattern": MONEY_PATTERN}
    if description:
        schema["description"] = description
    return schema


def criteria_schema():
    """The JSON Schema of params.criteria, shared by the sealed methods that score."""
    # "max" has no multipleOf 0.01: jsonschema checks it in floating point and
    # refuses values such as 2.3 or 33.33; two decimals are checked with the rules.
    return {
        "type": "array",
        "description": "Scoring criteria; their maxima add up to 100. Required when evaluation is scoring.",
        "minItems": 1,
        "maxItems": 50,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "code": {
                    "type": "string",
                    "pattern": r"^[a-z0-9_]{1,32}$",
                    "description": "Short code of the criterion, unique in the list.",
                },
                "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Name of the criterion."},
                "max": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 100,
                    "description": "Maximum score of the criterion, at most 2 decimal places.",
                },
                "kind": {
                    "enum": ["technical", "business", "price"],
                    "description": "technical and business criteria are scored by the members; price is computed.",
                },
            },
            "required": ["code", "name", "max", "kind"],
        },
    }


def decrypt_minutes_schema():
    return {
        "type": "integer",
        "minimum": 5,
        "maximum": 240,
        "default": 30,
        "description": "Length of the decryption window after the opening, in minutes.",
    }


@dataclass(frozen=True)
class MethodSpec:
    """What a sector plugin declares about one trading method."""

    code: str
    sector: str
    name: object  # a TranslationString
    kind: str
    timeline: tuple
    params: dict
    required_timeline: tuple = ()
    # publicity of candidates or results: (number, "days" | "working_days")
    publicity: tuple = (0, "days")
    min_bids: int = 0
    committee_min: int = 0
    lot_fields: dict = field(default_factory=dict)

    def as_json(self, translate):
        return {
            "code": self.code,
            "sector": self.sector,
            "name": translate(self.name),
            "kind": self.kind,
            "timeline": list(self.timeline),
            "required_timeline": list(self.required_timeline or self.timeline),
            "params": self.params,
            "publicity": {"count": self.publicity[0], "unit": self.publicity[1]},
            "min_bids": self.min_bids,
        }


class MethodRegistry:
    def __init__(self, specs):
        self._specs = {}
        for spec in specs:
            if spec.code in self._specs:
                raise ValueError(f"trading method {spec.code} is provided twice")
            self._specs[spec.code] = spec

    def __getitem__(self, code):
        return self._specs[code]

    def get(self, code):
        return self._specs.get(code)

    def __iter__(self):
        return iter(sorted(self._specs.values(), key=lambda spec: spec.code))

    def __len__(self):
        return len(self._specs)


def build_registry(pm, limits=None):
    """The methods every plugin provides, with the effective legal numbers (the legal values by default)."""
    if limits is None:
        from .legal_limits import legal

        limits = legal(pm)
    return MethodRegistry(spec for specs in pm.hook.ggzy_methods(limits=limits) for spec in specs)
