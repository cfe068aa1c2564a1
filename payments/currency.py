"""Minor units <-> major units, with Stripe's zero- and three-decimal currencies."""

from decimal import Decimal

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def exponent(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_major(amount_minor: int, currency: str) -> float | int:
    """1999 usd -> 19.99; 500 jpy -> 500 (an int, so Wix shows no decimals)."""
    exp = exponent(currency)
    if exp == 0:
        return amount_minor
    return float(Decimal(amount_minor).scaleb(-exp))


def to_minor(amount_major: float | int, currency: str) -> int:
    # Decimal(str(x)) so that 19.99 does not become 1998 through binary floating point.
    return int((Decimal(str(amount_major)).scaleb(exponent(currency))).to_integral_value())
