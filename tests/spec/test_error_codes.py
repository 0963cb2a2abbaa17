"""The target error codes live in ``domain.codes``; the spec documents the same table."""

from audioshake_kit.domain.codes import ERROR_CODES, failed_before_processing
from audioshake_kit.domain.spec import load_spec


def test_spec_lists_exactly_the_domain_error_codes() -> None:
    documented = load_spec()["components"]["schemas"]["TargetError"]["x-error-codes"]
    assert {int(code): text for code, text in documented.items()} == ERROR_CODES


def test_4xxx_fails_before_processing_and_5xxx_during() -> None:
    assert [failed_before_processing(c) for c in (3999, 4000, 4005, 4999, 5000, 5001)] == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]
