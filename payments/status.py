"""Payment states and how far along each one is.

The writer never lets a settled state (succeeded or a refund) fall back to an open one, and
breaks ties between open states by progress. Ranks encode both.
"""

from enum import StrEnum


class PaymentStatus(StrEnum):
    FAILED = "failed"
    PROCESSING = "processing"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


# A retry after a decline goes failed -> processing; cancel ends an intent for good.
_PROGRESS = {
    PaymentStatus.FAILED: 1,
    PaymentStatus.PROCESSING: 2,
    PaymentStatus.CANCELED: 3,
    PaymentStatus.SUCCEEDED: 4,
    PaymentStatus.PARTIALLY_REFUNDED: 5,
    PaymentStatus.REFUNDED: 6,
}

SETTLED = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


def progress(status: PaymentStatus) -> int:
    return _PROGRESS[status]


def is_settled(status: PaymentStatus) -> bool:
    """Money moved: the state can only go on to a (larger) refund."""
    return status in SETTLED


def refund_status(amount: int, amount_refunded: int) -> PaymentStatus:
    if amount_refunded <= 0:
        return PaymentStatus.SUCCEEDED
    if amount_refunded >= amount:
        return PaymentStatus.REFUNDED
    return PaymentStatus.PARTIALLY_REFUNDED
