"""Every code the back end can send a staff page has words in the page, in both languages.

The server sends codes beside its English (HTTP refusals, the hub's errors, the fleet's
alert kinds, device faults, command states...); the pages look each code up in a
``const NAME_KEYS = {code: "catalogue.key"}`` table and show the server's own text for a
code they do not know. These tests hold the tables to the server's lists: a code added
on the server without words in the page fails here, and so does a table entry for a code
the server never sends. ``test_i18n_catalogue.py`` then checks the keys themselves.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

import peripherals.camera.errors
import peripherals.card.errors
import peripherals.printer.errors
from backend.fleet.alerts import ALERT_KINDS
from backend.fleet.models import CommandState, DetailCode
from backend.refusals import ENGLISH, RefusalCode
from kiosk.journey import Step
from offline_queue.heartbeat import FAULT_CODES, CommandKind, DeviceName, DeviceState
from peripherals.errors import DeviceError
from peripherals.health import OK_CODE
from peripherals.printer.ipp_state import PAPER_LOW_CODE
from tests.staff.test_i18n_catalogue import ROOT, load_catalogue
from video.signaling import AgentState, HangupOutcome

CONSOLE = ROOT / "backend" / "console" / "static"
FLEET_JS = ROOT / "backend" / "fleet" / "static" / "fleet.js"
REFUSALS_JS = CONSOLE / "refusals.js"
# Where the hub's refusals are raised: routing, the hub, and the signalling schemas.
HUB_SOURCES = (ROOT / "backend", ROOT / "video")
# The device errors, imported so that every DeviceError subclass exists when we list them.
DEVICE_ERROR_MODULES = (
    peripherals.printer.errors,
    peripherals.card.errors,
    peripherals.camera.errors,
)

LINE_COMMENT = re.compile(r"//[^\n]*")
TABLE_ENTRY = re.compile(r'(?:"([^"]+)"|([A-Za-z_]\w*))\s*:\s*"([^"]+)"')
# What a refusal code looks like: "area.what" ("call.not_offered", "signal.rate_limited").
CODE = re.compile(r"^[a-z]+\.[a-z_]+$")
# Raising or answering a refusal: RoutingError("code", ...), SignalingError("code", ...),
# and the hub's peer.error("code", ...) / self.error("code", ...).
REFUSAL_CALLS = {"RoutingError", "SignalingError", "error"}


def js_table(text: str, name: str) -> dict[str, str]:
    """The ``const NAME = {...}`` table of a page's script, as {code: key}."""
    found = re.search(rf"\bconst {name} = \{{(.*?)\}};", text, re.DOTALL)
    if found is None:
        raise LookupError(f"no table {name}")
    body = LINE_COMMENT.sub("", found.group(1))
    return {quoted or bare: key for quoted, bare, key in TABLE_ENTRY.findall(body)}


def table_of(path: Path, name: str) -> dict[str, str]:
    return js_table(path.read_text(encoding="utf-8"), name)


def refusal_codes_in(source: str) -> set[str]:
    """The literal codes a Python module raises or answers as refusals."""
    codes = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if (
            name in REFUSAL_CALLS
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and CODE.fullmatch(first.value)
        ):
            codes.add(first.value)
    return codes


def hub_codes() -> set[str]:
    """Every refusal code the hub can send (to a console or a kiosk)."""
    codes: set[str] = set()
    for folder in HUB_SOURCES:
        for path in sorted(folder.rglob("*.py")):
            codes |= refusal_codes_in(path.read_text(encoding="utf-8"))
    return codes


def without_words(codes: set[str], table: dict[str, str]) -> list[str]:
    """The codes a page has no words for (what these tests want empty)."""
    return sorted(code for code in codes if code not in table)


# --- The readers themselves: they must see what is there, and miss nothing silently ----


def test_the_table_reader_sees_quoted_and_bare_codes_and_skips_comments() -> None:
    js = """
      const SOME_KEYS = {
        // a comment: "not.a.code"
        "call.not_offered": "server.call_not_offered",
        paper_out: "fleet.fault_paper_out",
      };
      const OTHER_KEYS = { x: "y" };
    """
    assert js_table(js, "SOME_KEYS") == {
        "call.not_offered": "server.call_not_offered",
        "paper_out": "fleet.fault_paper_out",
    }
    with pytest.raises(LookupError):
        js_table(js, "MISSING_KEYS")


def test_the_code_finder_sees_every_way_a_refusal_is_raised() -> None:
    source = """
raise RoutingError("call.not_offered", "this call is not offered to you")
raise routing.RoutingError("agent.busy", "end the call first")
raise SignalingError("signal.bad_json", f"not valid JSON: {err}")
await peer.error("signal.unexpected", "a console does not send x")
await self.error("signal.rate_limited", "at most 20 messages/s")
raise RoutingError(err.code, str(err))  # a variable: passed on, not a new code
logger.error("quality %s changed", level)  # a log line, not a code
"""
    assert refusal_codes_in(source) == {
        "call.not_offered",
        "agent.busy",
        "signal.bad_json",
        "signal.unexpected",
        "signal.rate_limited",
    }


def test_a_code_without_words_is_reported() -> None:
    table = table_of(REFUSALS_JS, "REFUSAL_KEYS")
    assert without_words({"call.not_offered", "call.brand_new"}, table) == ["call.brand_new"]


# --- Refusals: HTTP and the hub ---------------------------------------------------------


def test_every_http_refusal_has_words_whose_english_is_the_servers() -> None:
    table = table_of(REFUSALS_JS, "REFUSAL_KEYS")
    catalogue = load_catalogue()
    assert without_words({code.value for code in RefusalCode}, table) == []
    # The English page says what it said before the codes: the server's detail, word for word.
    different = {
        code.value: (ENGLISH[code], catalogue[table[code.value]]["en"])
        for code in RefusalCode
        if catalogue[table[code.value]]["en"] != ENGLISH[code]
    }
    assert different == {}


def test_every_refusal_of_the_hub_has_words() -> None:
    codes = hub_codes()
    # The finder found the hub's refusals (not an empty set that passes anything).
    assert {"call.not_offered", "transfer.wrong_language", "signal.rate_limited"} <= codes
    assert without_words(codes, table_of(REFUSALS_JS, "REFUSAL_KEYS")) == []


def test_the_refusal_table_has_no_code_the_server_never_sends() -> None:
    sent = {code.value for code in RefusalCode} | hub_codes()
    assert sorted(set(table_of(REFUSALS_JS, "REFUSAL_KEYS")) - sent) == []


# --- The fleet page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        ("ALERT_KEYS", set(ALERT_KINDS)),
        ("FAULT_KEYS", set(FAULT_CODES)),
        ("DEVICE_KEYS", set(get_args(DeviceName))),
        ("DEVICE_STATE_KEYS", set(get_args(DeviceState)) - {"ok", "absent"}),
        ("COMMAND_KEYS", set(get_args(CommandKind))),
        ("COMMAND_STATE_KEYS", set(get_args(CommandState))),
        ("DETAIL_KEYS", set(get_args(DetailCode))),
    ],
)
def test_every_fleet_code_has_words(table: str, codes: set[str]) -> None:
    # Both ways: a code without words shows raw; words for no code are a stale table.
    assert table_of(FLEET_JS, table).keys() == codes


def device_error_codes() -> set[str]:
    """Every code a device error can carry (printer, card reader and card, cameras)."""
    assert len(DEVICE_ERROR_MODULES) == 3
    found: set[str] = set()
    pending: list[type[DeviceError]] = [DeviceError]
    while pending:
        kind = pending.pop()
        found.add(kind.code)
        pending.extend(kind.__subclasses__())
    return found


def test_every_device_code_a_kiosk_reports_is_a_known_fault() -> None:
    # A heartbeat carries a device's health code without its prefix (kiosk/maintenance/fleet.py).
    codes = device_error_codes() | {PAPER_LOW_CODE}
    assert {"printer.paper_out", "card.reader_unavailable", "camera.lost"} <= codes
    assert OK_CODE not in codes  # an ok device reports no fault
    assert sorted({code.rsplit(".", 1)[-1] for code in codes} - FAULT_CODES) == []


# --- The console --------------------------------------------------------------------------


def quality_reasons() -> set[str]:
    """The reasons a kiosk gives for a quality change (to the console, over the call's channel).

    The adaptation's verdicts (what ``_problem`` and ``decide`` return in video/adapt.py),
    the level set at a call's start (``set_level(level, "new_call")``) and after a
    reconnection (``Quality(..., reason="reconnected")``).
    """
    reasons: set[str] = set()
    for path in sorted((ROOT / "video").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("_problem", "decide"):
                for ret in (n for n in ast.walk(node) if isinstance(n, ast.Return)):
                    reasons |= {
                        c.value
                        for c in ast.walk(ret)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    }
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                said = [k.value for k in node.keywords if k.arg == "reason"]
                if name == "set_level" and len(node.args) == 2:
                    said.append(node.args[1])
                if name in ("set_level", "Quality"):
                    reasons |= {
                        c.value
                        for c in said
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    }
    return reasons


def test_every_quality_reason_of_a_kiosk_has_words() -> None:
    reasons = quality_reasons()
    assert {"loss", "recovered", "new_call", "reconnected"} <= reasons
    callview = table_of(CONSOLE / "callview.js", "QUALITY_REASON_KEYS")
    assert without_words(reasons, callview) == []
    assert sorted(set(callview) - reasons) == []


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        ("STATE_KEYS", {state.value for state in AgentState}),
        ("HANGUP_KEYS", {outcome.value for outcome in HangupOutcome}),
    ],
)
def test_every_console_code_has_words(table: str, codes: set[str]) -> None:
    assert table_of(CONSOLE / "console.js", table).keys() == codes


def test_every_journey_step_a_kiosk_reports_has_words() -> None:
    """A call's context says where the citizen was (``context.step``): each step has a name."""
    assert table_of(CONSOLE / "ui.js", "STEP_KEYS").keys() == {step.value for step in Step}
