"""Token format: 256 bits, base62, CRC32 checksum that rejects typos with no I/O."""

from __future__ import annotations

from control_plane import tokens


def test_generated_tokens_are_well_formed_and_distinct() -> None:
    a, b = tokens.generate("smcp_"), tokens.generate("smcp_")
    assert a != b and len(a) == 5 + 43 + 6
    assert tokens.is_well_formed(a, "smcp_") and tokens.is_well_formed(b, "smcp_")


def test_a_typo_fails_the_checksum() -> None:
    token = tokens.generate("smcp_")
    flipped = "A" if token[10] != "A" else "B"
    assert not tokens.is_well_formed(token[:10] + flipped + token[11:], "smcp_")


def test_wrong_prefix_length_or_alphabet_is_rejected() -> None:
    token = tokens.generate("bth_")
    assert not tokens.is_well_formed(token, "smcp_")
    assert not tokens.is_well_formed(token[:-1], "bth_")
    assert not tokens.is_well_formed(token[:-1] + "!", "bth_")


def test_digest_depends_on_the_pepper() -> None:
    token = tokens.generate("smcp_")
    assert tokens.digest(token, b"one") != tokens.digest(token, b"two")
    assert tokens.digest(token, b"one") == tokens.digest(token, b"one")
    assert tokens.display_prefix(token) == token[:12]
