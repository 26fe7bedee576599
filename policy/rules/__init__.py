"""The pure policy core: one module per region, no Django import anywhere in this package.

Each region module holds, in this order:
  * ``PARAMETERS``: the spec of its versioned parameters (names, kinds, which may be unset);
  * ``SEED``: the parameter sets RULES.md gives, with their effective periods;
  * ``adjudicate(...)``: the outpatient visit rules (see ``claims``);
  * for capitation regions, the budget / settlement pricing functions (see ``budgets``).

``REGIONS`` maps the national pooling-area code ``admdvs`` to the region module.
"""
from . import ganzhou, heyuan, nanchang, nanyang, zibo

REGIONS = {
    "411300": nanyang,
    "370300": zibo,
    "360700": ganzhou,
    "360100": nanchang,
    "441600": heyuan,
}


def region_module(admdvs: str):
    try:
        return REGIONS[admdvs]
    except KeyError:
        raise KeyError(f"unknown region admdvs={admdvs!r}") from None
