"""What each channel costs, as the agency sets it, and the cost per transaction it gives.

The inputs (``cost_inputs``, amounts in cents of the agency's currency):

- ``kiosk`` (self-service at the kiosk): a fixed cost per kiosk and month
  (lease, maintenance, connection, paper) and a cost per transaction;
- ``video`` (a kiosk citizen served by a remote agent): the agent's cost per
  hour of talk and a cost per call;
- ``counter`` and ``phone``: the agency's own cost per transaction of those
  channels, shown beside the kiosk's for comparison (not measured here).

For a period of D days (docs/ANALYTICS.md gives the same formula)::

    kiosk  = (monthly_per_kiosk x kiosks x D x 12 / 365 + per_transaction x completed) / completed
    video  = (agent_hourly x talk hours + per_transaction x answered calls) / answered calls

``kiosks`` are the kiosks that recorded at least one event in the period (of
the chosen site), ``completed`` their completed self-service transactions.
Kiosk costs are shared by every agency and service on the kiosk, so the
agency and service filters do not change the cost per transaction: the
average is spread evenly over all transactions of those kiosks.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, delete, insert, select

from backend.db import cost_inputs

Channel = Literal["kiosk", "video", "counter", "phone"]
CHANNELS: tuple[Channel, ...] = ("kiosk", "video", "counter", "phone")
DAYS_PER_MONTH = Decimal(365) / Decimal(12)
CENTS = Decimal(100)
Amount = Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2)]


class CostInput(BaseModel):
    """The cost inputs of one channel; ``None`` where the agency set nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    monthly_per_kiosk: Amount | None = None
    agent_hourly: Amount | None = None
    per_transaction: Amount | None = None


class CostInputs(BaseModel):
    """Every channel's inputs, as the dashboard reads and writes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: list[CostInput] = Field(max_length=len(CHANNELS))


class ChannelCost(BaseModel):
    """The cost of one channel over the period (``None`` where it cannot be worked out)."""

    channel: Channel
    transactions: int | None
    total: float | None
    per_transaction: float | None
    measured: bool  # False: the agency's own figure, not computed from this period


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * CENTS).to_integral_value())


def _amount(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / CENTS).quantize(Decimal("0.01"))


def read_costs(conn: Connection) -> dict[Channel, CostInput]:
    """Every channel's inputs (a channel never set has all of them ``None``)."""
    found: dict[Channel, CostInput] = {channel: CostInput(channel=channel) for channel in CHANNELS}
    for row in conn.execute(select(cost_inputs)):
        channel: Channel = row.channel
        found[channel] = CostInput(
            channel=channel,
            monthly_per_kiosk=_amount(row.monthly_per_kiosk_cents),
            agent_hourly=_amount(row.agent_hourly_cents),
            per_transaction=_amount(row.per_transaction_cents),
        )
    return found


def write_costs(conn: Connection, inputs: CostInputs, *, now: datetime) -> None:
    """Replace the inputs of the channels given (the others keep theirs)."""
    for item in inputs.channels:
        conn.execute(delete(cost_inputs).where(cost_inputs.c.channel == item.channel))
        conn.execute(
            insert(cost_inputs).values(
                channel=item.channel,
                monthly_per_kiosk_cents=_cents(item.monthly_per_kiosk),
                agent_hourly_cents=_cents(item.agent_hourly),
                per_transaction_cents=_cents(item.per_transaction),
                updated_at=now,
            )
        )


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def channel_costs(
    inputs: dict[Channel, CostInput],
    *,
    days: int,
    kiosks: int,
    completed: int,
    answered_calls: int,
    talk_s: float,
) -> list[ChannelCost]:
    """The cost per transaction of each channel for a period of ``days`` (module docstring)."""
    kiosk = inputs["kiosk"]
    video = inputs["video"]
    costs: list[ChannelCost] = []
    if kiosk.monthly_per_kiosk is None and kiosk.per_transaction is None:
        costs.append(
            ChannelCost(
                channel="kiosk",
                transactions=completed,
                total=None,
                per_transaction=None,
                measured=True,
            )
        )
    else:
        fixed = (kiosk.monthly_per_kiosk or Decimal(0)) * kiosks * days / DAYS_PER_MONTH
        total = fixed + (kiosk.per_transaction or Decimal(0)) * completed
        costs.append(_measured("kiosk", completed, total))
    if video.agent_hourly is None and video.per_transaction is None:
        costs.append(
            ChannelCost(
                channel="video",
                transactions=answered_calls,
                total=None,
                per_transaction=None,
                measured=True,
            )
        )
    else:
        talk_h = Decimal(str(round(talk_s, 3))) / Decimal(3600)
        total = (video.agent_hourly or Decimal(0)) * talk_h + (
            video.per_transaction or Decimal(0)
        ) * answered_calls
        costs.append(_measured("video", answered_calls, total))
    for channel in ("counter", "phone"):
        given = inputs[channel].per_transaction
        costs.append(
            ChannelCost(
                channel=channel,
                transactions=None,
                total=None,
                per_transaction=None if given is None else _money(given),
                measured=False,
            )
        )
    return costs


def _measured(channel: Channel, transactions: int, total: Decimal) -> ChannelCost:
    return ChannelCost(
        channel=channel,
        transactions=transactions,
        total=_money(total),
        per_transaction=_money(total / transactions) if transactions else None,
        measured=True,
    )
