"""Silence matchers as typed on the command line (amtool's syntax), and how they match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promdash.errors import UsageError
from promdash.prom.am_types import Matcher, matchers_text, mutes
from promdash.prom.matchers import parse_matcher, parse_matchers


@pytest.mark.parametrize(
    ("text", "matcher"),
    [
        ("alertname=InstanceDown", Matcher("alertname", "InstanceDown")),
        ('instance="a:1"', Matcher("instance", "a:1")),
        ("severity!=info", Matcher("severity", "info", is_equal=False)),
        ('job=~"node|web"', Matcher("job", "node|web", is_regex=True)),
        ("job!~web.*", Matcher("job", "web.*", is_regex=True, is_equal=False)),
        ("  team = a b  ", Matcher("team", "a b")),
        ("empty=", Matcher("empty", "")),
        ('empty=""', Matcher("empty", "")),
        ('quote="say \\"hi\\", ok"', Matcher("quote", 'say "hi", ok')),
        ('nl="a\\nb"', Matcher("nl", "a\nb")),
        ('path="C:\\\\temp"', Matcher("path", "C:\\temp")),
        ("lone=a\\b", Matcher("lone", "a\\b")),
        ("url=http://x/?a=b", Matcher("url", "http://x/?a=b")),
        ("ns:name=1", Matcher("ns:name", "1")),
    ],
)
def test_amtool_syntax(text: str, matcher: Matcher) -> None:
    assert parse_matcher(text) == matcher


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("InstanceDown", "expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX"),
        ("", "expected NAME=VALUE"),
        ("alertname~Down", "expected NAME=VALUE"),
        ("=Down", "the label name is empty"),
        ("  !=x", "the label name is empty"),
        ("1st=x", "'1st' is not a label name"),
        ("a-b=x", "'a-b' is not a label name"),
        ('a="b', "closing double quote is missing"),
        ('a="b\\"', "closing double quote is missing"),
        ('a=b"c', 'a double quote inside the value must be written \\"'),
        ('a="b"c"', 'a double quote inside the value must be written \\"'),
        ("a=~(", "not a valid regular expression: missing ), unterminated subpattern"),
        ("a!~x**", "not a valid regular expression: multiple repeat"),
    ],
)
def test_a_bad_matcher_is_one_line_quoting_it(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_matcher(text)
    message = str(caught.value)
    assert message.startswith(f"matcher {text!r}: ") and problem in message
    assert "\n" not in message


def test_control_characters_are_not_echoed() -> None:
    with pytest.raises(UsageError) as caught:
        parse_matcher("\x1b[31m\nbad")
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_silence_needs_a_matcher_that_names_something() -> None:
    with pytest.raises(UsageError, match="at least one matcher"):
        parse_matchers([])
    # Alertmanager refuses these: every one also matches alerts without the label.
    for useless in (["a=~.*"], ["a="], ["a!=x", "b=~.*"], ["a!~.+"]):
        with pytest.raises(UsageError, match="would mute every alert"):
            parse_matchers(useless)
    assert parse_matchers(["a=~.*", "alertname=X"])[1] == Matcher("alertname", "X")


@pytest.mark.parametrize(
    ("matcher", "labels", "matched"),
    [
        (Matcher("a", "x"), {"a": "x"}, True),
        (Matcher("a", "x"), {"a": "xy"}, False),
        (Matcher("a", "x", is_equal=False), {}, True),
        (Matcher("a", "", is_equal=True), {}, True),  # a missing label is ""
        (Matcher("a", "x.", is_regex=True), {"a": "xy"}, True),
        (Matcher("a", "x", is_regex=True), {"a": "xy"}, False),  # anchored, as Alertmanager
        (Matcher("a", "b|c", is_regex=True), {"a": "ab"}, False),
        (Matcher("a", "x.*", is_regex=True, is_equal=False), {"a": "xyz"}, False),
        (Matcher("a", ".*", is_regex=True), {"a": "line\nbreak"}, True),
    ],
)
def test_matching_is_alertmanagers(matcher: Matcher, labels: dict[str, str], matched: bool) -> None:
    assert matcher.matches(labels) is matched


def test_a_silence_mutes_only_what_all_its_matchers_match() -> None:
    matchers = parse_matchers(["alertname=Down", "instance=~a:.*"])
    assert mutes(matchers, {"alertname": "Down", "instance": "a:1", "job": "x"})
    assert not mutes(matchers, {"alertname": "Down", "instance": "b:1"})
    assert not mutes([], {"alertname": "Down"})


label_names = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,8}", fullmatch=True)
values = st.text(max_size=12)


@given(name=label_names, value=values, op=st.sampled_from(["=", "!="]))
def test_printed_matchers_parse_back(name: str, value: str, op: str) -> None:
    """What promdash prints (`silences`) can be typed again (`silence add`)."""
    matcher = Matcher(name, value, is_regex=False, is_equal=op == "=")
    assert parse_matcher(str(matcher)) == matcher


def test_matchers_text_is_amtools() -> None:
    matchers = [Matcher("alertname", "Down"), Matcher("job", 'we"b', is_regex=True)]
    assert matchers_text(matchers) == '{alertname="Down", job=~"we\\"b"}'
