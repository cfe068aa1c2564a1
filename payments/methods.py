"""Payment method codes (Stripe's) and the labels a person reads in the Wix collection."""

LABELS = {
    "card": "Card",
    "card_present": "Card (in person)",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
    "samsung_pay": "Samsung Pay",
    "link": "Link",
    "masterpass": "Masterpass",
    "visa_checkout": "Visa Checkout",
    "amex_express_checkout": "Amex Express Checkout",
    "us_bank_account": "US bank account",
    "sepa_debit": "SEPA Direct Debit",
    "bacs_debit": "Bacs Direct Debit",
    "au_becs_debit": "BECS Direct Debit",
    "acss_debit": "Canadian pre-authorized debit",
    "cashapp": "Cash App Pay",
    "paypal": "PayPal",
    "klarna": "Klarna",
    "affirm": "Affirm",
    "afterpay_clearpay": "Afterpay / Clearpay",
    "ideal": "iDEAL",
    "bancontact": "Bancontact",
    "eps": "EPS",
    "giropay": "giropay",
    "p24": "Przelewy24",
    "sofort": "Sofort",
    "alipay": "Alipay",
    "wechat_pay": "WeChat Pay",
    "amazon_pay": "Amazon Pay",
    "revolut_pay": "Revolut Pay",
}


def label(code: str) -> str:
    """'apple_pay' -> 'Apple Pay'; an unknown code still reads as words ('new_pay' -> 'New pay')."""
    return LABELS.get(code) or code.replace("_", " ").strip().capitalize()
