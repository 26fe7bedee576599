"""Output shapes of the claims API (the contract's fields; money "0.00", ratios "0.0000")."""
import threading

from rest_framework import serializers

from staff.scope import certno_for, certnos_for

from .models import OUT_OF_AREA_CHOICES, Claim, ClaimItem

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True, "read_only": True}


class StepSerializer(serializers.Serializer):
    rule = serializers.CharField()
    amount = serializers.CharField(allow_null=True)
    note = serializers.CharField()


class ClaimItemSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY)

    class Meta:
        model = ClaimItem
        fields = ["code", "name", "category", "chrgitm_lv", "amount"]


class CertnosMaskedMixin:
    """Shows the value with every certno in it masked unless the user may see them (idempotency keys
    a client built from a certno, the recorded inputs of claims written before they were masked)."""

    def to_representation(self, value):
        request = self.context.get("request")
        return certnos_for(getattr(request, "user", None), super().to_representation(value))


class CertnosMaskedCharField(CertnosMaskedMixin, serializers.CharField):
    pass


class CertnosMaskedJSONField(CertnosMaskedMixin, serializers.JSONField):
    pass


def _label(name: str) -> str:
    return Claim._meta.get_field(name).verbose_name


# Every field declared, not built from the model by a ``ModelSerializer``: that rebuilt twelve fields
# from the model's metadata for every answer (2 of the 2.8 ms this serializer took per claim, on the
# hot ``POST /api/v1/claims/``). The declarations are the ones it built (labels from the model,
# read-only), so the answers and the API schema are unchanged.
class ClaimSerializer(serializers.Serializer):
    """A settlement as the API answers it: the request's fields, then the result."""

    setl_id = serializers.CharField(label=_label("setl_id"), read_only=True)
    certno = serializers.SerializerMethodField()
    admdvs = serializers.CharField(source="admdvs_id")
    fixmedins_code = serializers.CharField(source="provider.fixmedins_code")
    visit_at = serializers.DateTimeField()
    benefit = serializers.ChoiceField(choices=Claim.Benefit.choices, label=_label("benefit"), read_only=True)
    emergency = serializers.BooleanField(label=_label("emergency"), read_only=True)
    referral = serializers.BooleanField(label=_label("referral"), read_only=True)
    out_of_area = serializers.ChoiceField(choices=OUT_OF_AREA_CHOICES, label=_label("out_of_area"), read_only=True)
    channel = serializers.CharField(label=_label("channel"), read_only=True)
    exclusion = serializers.CharField(allow_null=True, label=_label("exclusion"), read_only=True)
    medfee_sumamt = serializers.DecimalField(**MONEY)
    fulamt_ownpay_amt = serializers.DecimalField(**MONEY)
    overlmt_selfpay = serializers.DecimalField(**MONEY)
    preselfpay_amt = serializers.DecimalField(**MONEY)
    inscp_scp_amt = serializers.DecimalField(**MONEY)
    acct_used = serializers.BooleanField(label=_label("acct_used"), read_only=True)
    idempotency_key = CertnosMaskedCharField(allow_null=True)
    # settled, not_covered or pending_review (CONTRACT.md "Claims"); a reversal's own row says
    # ``reversal`` (CONTRACT.md leaves its status open; ``reverses`` names the original).
    status = serializers.ChoiceField(choices=Claim.Status.choices, label=_label("status"), read_only=True)
    reason = serializers.CharField(allow_null=True, label=_label("reason"), read_only=True)
    act_pay_dedc = serializers.DecimalField(**MONEY)
    pool_prop_selfpay = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=True)
    hifp_pay = serializers.DecimalField(**MONEY)
    psn_part_amt = serializers.DecimalField(**MONEY)
    acct_pay = serializers.DecimalField(**MONEY)
    psn_cash_pay = serializers.DecimalField(**MONEY)
    steps = StepSerializer(many=True)
    reverses = serializers.CharField(source="reverses.setl_id", default=None)
    charged_fixmedins_code = serializers.CharField(source="charged_provider.fixmedins_code")
    visit_date = serializers.DateField(label=_label("visit_date"), read_only=True)
    parameter_set = serializers.IntegerField(source="parameter_set_id", allow_null=True)
    created_at = serializers.DateTimeField(label=_label("created_at"), read_only=True)
    prescribing_fixmedins_code = serializers.CharField(  # 外配处方 (a pharmacy fill's prescriber, else null)
        source="prescribing_provider_id", allow_null=True)

    def get_certno(self, claim: Claim) -> str:
        request = self.context.get("request")
        return certno_for(getattr(request, "user", None), claim.member.certno)


_per_thread = threading.local()


def claim_data(claim: Claim, *, request) -> dict:
    """``ClaimSerializer(claim, context={"request": request}).data``, from a serializer kept per thread.

    Why: a serializer deep-copies its declared fields the first time it is used, once per instance;
    for one claim that was 0.6 of the 0.9 ms of CPU its answer cost on every ``POST /api/v1/claims/``
    (measured in-process), as much again as the token check. Kept per thread (a gunicorn gthread
    worker serves several requests at once, one per thread), its fields are built once. The
    request, whose user decides what is masked (``certno``, ``idempotency_key``), is put in the
    context dict the serializer was made with, for this call only."""
    serializer = getattr(_per_thread, "claim_serializer", None)
    if serializer is None:
        _per_thread.context = {}
        serializer = _per_thread.claim_serializer = ClaimSerializer(context=_per_thread.context)
    _per_thread.context["request"] = request
    try:
        return serializer.to_representation(claim)
    finally:
        _per_thread.context.clear()


class ClaimDetailSerializer(ClaimSerializer):
    fee_details = ClaimItemSerializer(source="items", many=True)
    reversed_by = serializers.SerializerMethodField()
    inputs = CertnosMaskedJSONField()
    deltas = serializers.JSONField()

    def get_reversed_by(self, claim: Claim) -> str | None:
        reversal = Claim.objects.filter(reverses_id=claim.pk).values_list("setl_id", flat=True).first()
        return reversal


class AccumulatorsSerializer(serializers.Serializer):
    """Year-to-date figures; money as strings, caps null where the region has none.

    ``deductible_paid`` is always an object keyed by bucket (CONTRACT.md: "per bucket where a region
    keeps several"): one key where the region keeps one (Nanyang ``per_visit``, Ganzhou ``shared``),
    none where it has no deductible (Nanchang, Heyuan), so a client reads one shape in every region."""

    def to_representation(self, figures: dict) -> dict:
        return _plain(figures)


def _plain(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class FeeDetailInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(["drug", "tcm_drug", "exam", "treatment", "material", "service", "other"])
    chrgitm_lv = serializers.ChoiceField(["01", "02", "03"])
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class ClaimRequestSerializer(serializers.Serializer):
    """The request body, for the API schema only: ``claims.requests.claim_request_parse`` validates."""

    certno = serializers.CharField(max_length=18)
    admdvs = serializers.CharField(max_length=6)
    fixmedins_code = serializers.CharField(max_length=30)
    visit_at = serializers.DateTimeField()
    benefit = serializers.ChoiceField(["ordinary", "tcm", "hypertension", "diabetes", "special_item"],
                                      default="ordinary")
    emergency = serializers.BooleanField(default=False)
    referral = serializers.BooleanField(default=False)
    out_of_area = serializers.ChoiceField(OUT_OF_AREA_CHOICES, required=False,
                                          help_text="optional: derived from the provider's admdvs and the member's "
                                                    "out-of-area registrations; a value that disagrees is a 400")
    channel = serializers.ChoiceField(["direct", "manual"], default="direct")
    exclusion = serializers.ChoiceField(["work_injury", "third_party", "public_health", "abroad", "inpatient",
                                         "chronic", "inpatient_fund_emergency"], allow_null=True, required=False)
    prescribing_fixmedins_code = serializers.CharField(max_length=30, allow_null=True, required=False,
                                                       help_text="外配处方: at a pharmacy, the prescribing provider")
    medfee_sumamt = serializers.DecimalField(max_digits=14, decimal_places=2)
    fulamt_ownpay_amt = serializers.DecimalField(max_digits=14, decimal_places=2, default="0.00")
    overlmt_selfpay = serializers.DecimalField(max_digits=14, decimal_places=2, default="0.00")
    preselfpay_amt = serializers.DecimalField(max_digits=14, decimal_places=2, default="0.00")
    inscp_scp_amt = serializers.DecimalField(max_digits=14, decimal_places=2)
    acct_used = serializers.BooleanField(default=False)
    idempotency_key = serializers.CharField(max_length=100, required=False)
    fee_details = FeeDetailInputSerializer(many=True, required=False)
