"""text_normalise removes the format characters (Unicode category Cf) through one character class
(config.parsing._FORMAT_CHARACTERS) instead of asking unicodedata per character: the class must be
exactly the category, for every code point of the running Python's Unicode."""
import sys
import unicodedata

from config.parsing import _FORMAT_CHARACTERS, text_normalise


def test_the_class_is_exactly_unicode_category_cf():
    # given every code point
    # when each is matched against the class and its category looked up
    wrong = [hex(point) for point in range(sys.maxunicode + 1)
             if (_FORMAT_CHARACTERS.fullmatch(chr(point)) is not None) != (unicodedata.category(chr(point)) == "Cf")]
    # then they agree everywhere (else: regenerate the class for this Python's Unicode)
    assert wrong == [], (unicodedata.unidata_version, wrong[:10])


def test_a_name_keeps_its_letters_and_loses_format_characters_and_blanks():
    # given a name typed with a zero-width space, a BOM, a direction mark and full-width digits
    typed = " \ufeff王\u200b小\u200e明１２ "
    # when it is normalised
    # then NFKC makes the digits ASCII, the format characters go, the blanks are stripped
    assert text_normalise(typed) == "王小明12"
    assert text_normalise("\u200b\u2060") == ""
