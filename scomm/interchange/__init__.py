"""ANSI/NIST-ITL / FBI EBTS interchange: decode, validate and encode transactions.

A jail booking's criminal tenprint submission (EBTS TOT=CAR) is decoded with
:func:`decode`, checked with :func:`validate_car`, and answered with
:func:`encode_response` (SRE, ERRT from the FBI; IDR, IAR from DHS).
Record syntax is handled by IDEMIA's ``nistitl``; this package adds framing
checks for hostile input, the Type-4 binary header, WSQ pixels (``wsq``) and
the EBTS CAR rules (see :mod:`.ebts_rules`, copied from FBI EBTS 9.1).
"""
from .decode import decode, parse_date
from .encode import RESPONSE_TAGS, encode_car, encode_response, response_fields
from .framing import describe_non_transaction, sniff
from .images import decode_finger_pixels
from .model import Charge, DecodeError, FingerImage, Problem, Transaction
from .validate import validate_car

__all__ = [
    "Problem", "DecodeError", "FingerImage", "Charge", "Transaction",
    "decode", "validate_car", "decode_finger_pixels", "encode_car", "encode_response", "sniff",
    "response_fields", "RESPONSE_TAGS", "describe_non_transaction", "parse_date",
]
