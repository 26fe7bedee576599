"""Every state change of personal accounts, one service per change, each in one transaction.

Imported by the claims service at the counter (``account_pay_claim`` / ``account_refund_claim``),
by the Celery task and management command (``account_credit_month``), by the API and the admin.
"""
from .crediting import account_credit_month
from .lifecycle import (account_open, account_payout, account_transfer_out, member_mark_no_account,
                        relative_bind, relative_revoke)
from .locks import account_locked
from .payments import account_pay_claim, account_pay_contribution, account_refund_claim

__all__ = [
    "account_credit_month", "account_open", "account_payout", "account_transfer_out", "member_mark_no_account",
    "relative_bind", "relative_revoke", "account_locked", "account_pay_claim", "account_pay_contribution",
    "account_refund_claim",
]
