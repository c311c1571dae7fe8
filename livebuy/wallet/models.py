"""What ``GET /api/wallet`` answers: balances, lots, the ledger and coupons won."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Balance(_Frozen):
    """Spendable credit in one currency (minor units), and when the soonest of it expires."""

    currency: str
    amount: int
    next_expiry_at: int | None


class Lot(_Frozen):
    """One credit as received: what is left of it, and until when it can be spent."""

    id: str
    currency: str
    amount: int
    original: int
    expires_at: int
    source: str
    ref: str
    at: int


class LedgerEntry(_Frozen):
    """One move of credit: positive credits, negative debits (``order``) and expiries."""

    at: int
    currency: str
    amount: int
    source: str
    ref: str
    lot: str | None = None


class Wallet(_Frozen):
    """A session's wallet; ``ledger`` is one page of entries, newest first."""

    balances: list[Balance]
    lots: list[Lot]
    ledger: list[LedgerEntry]
    ledger_total: int = Field(description="entries in the whole ledger (for paging)")
    next_offset: int | None = Field(description="offset of the next ledger page, if any")
    coupons: list[str] = Field(
        description="codes of coupons won (personal coupons the games give out)"
    )
