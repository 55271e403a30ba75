"""Trading methods: the spec each sector plugin gives for a method, and the registry of them."""
from dataclasses import dataclass, field

SEALED = "sealed"
AUCTION = "auction"

SEALED_TIMELINE = ("docs_from", "docs_until", "bid_deadline", "questions_until")

MONEY_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"


def money_schema(description=None):
    schema = {"type": "string", "pattern": MONEY_PATTERN}
    if description:
        schema["description"] = description
    return schema


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


def build_registry(pm):
    return MethodRegistry(spec for specs in pm.hook.ggzy_methods() for spec in specs)
