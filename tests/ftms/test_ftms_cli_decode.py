"""`retrowalk decode`: names and UUIDs, hex spellings, merged parts, JSON keys, exit codes."""

from __future__ import annotations

import json

import pytest

from retrowalk.cli.main import main


def decode(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `retrowalk decode ARGV...` and return (exit code, stdout, stderr)."""
    code = main(["decode", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_walking_pad_record_prints_units_in_keys(capsys: pytest.CaptureFixture[str]) -> None:
    """A CS-WP8 capture prints speed, distance, energy, time and steps with their units."""
    code, out, _ = decode(capsys, "treadmill-data", "84242c0131000002000000003d005b0000")
    assert code == 0
    assert json.loads(out) == {
        "characteristic": "treadmill-data",
        "speed_kmh": 3.0,
        "total_distance_m": 49,
        "total_energy_kcal": 2,
        "energy_per_hour_kcal": 0,
        "energy_per_minute_kcal": 0,
        "elapsed_time_s": 61,
        "steps": 91,
        "truncated": False,
    }


@pytest.mark.parametrize(
    "name",
    ["status", "2ada", "0x2ADA", "00002ada-0000-1000-8000-00805f9b34fb", "STATUS"],
)
def test_characteristic_by_name_short_or_full_uuid(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Names, short UUIDs and full UUIDs all pick the same decoder."""
    code, out, _ = decode(capsys, name, "055802")
    assert code == 0
    assert json.loads(out) == {
        "characteristic": "status",
        "op": "TARGET_SPEED_CHANGED",
        "target_speed_kmh": 6.0,
    }


@pytest.mark.parametrize(
    "spelling", [["80:02:05"], ["80 02 05"], ["80-02-05"], ["0x800205"], ["80", "02", "05"]]
)
def test_hex_spellings(capsys: pytest.CaptureFixture[str], spelling: list[str]) -> None:
    """Colons, spaces, dashes, a 0x prefix or one argument per byte all read the same bytes."""
    code, out, _ = decode(capsys, "control-point", *spelling)
    assert code == 0
    assert json.loads(out) == {
        "characteristic": "control-point",
        "kind": "response",
        "request_op": "SET_TARGET_SPEED",
        "result": "CONTROL_NOT_PERMITTED",
        "raw_result": 5,
    }


def test_control_point_request_and_unknown_result(capsys: pytest.CaptureFixture[str]) -> None:
    """Bytes not starting with 80 are a request; a reserved result prints UNKNOWN + raw value."""
    _, out, _ = decode(capsys, "control-point", "027300", "--compact")
    assert json.loads(out) == {
        "characteristic": "control-point",
        "kind": "request",
        "op": "SET_TARGET_SPEED",
        "speed_kmh": 1.15,
    }
    _, out, _ = decode(capsys, "2ad9", "800209")
    assert json.loads(out)["result"] == "UNKNOWN"
    assert json.loads(out)["raw_result"] == 9


def test_parts_of_one_record_are_merged(capsys: pytest.CaptureFixture[str]) -> None:
    """Several HEX arguments for treadmill-data are More-Data parts merged into one record."""
    code, out, err = decode(capsys, "2acd", "0300 9001", "0500 0a0000", "0000 9001")
    assert code == 0
    assert json.loads(out) == {
        "characteristic": "treadmill-data",
        "parts": 3,
        "speed_kmh": 4.0,
        "average_speed_kmh": 4.0,
        "total_distance_m": 10,
        "truncated": False,
    }
    assert not err


def test_parts_holding_two_records_print_both(capsys: pytest.CaptureFixture[str]) -> None:
    """Parts that repeat a field are two records: both print, and stderr says so."""
    code, out, err = decode(capsys, "treadmill-data", "05000a0000", "05000b0000", "--compact")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["total_distance_m"] for r in lines] == [10, 11]
    assert "2 records" in err


def test_truncated_record_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """A record shorter than its flags promise prints what arrived and truncated: true."""
    _, out, _ = decode(capsys, "treadmill-data", "84 24 96 00 00 00 00 00")
    assert json.loads(out) == {
        "characteristic": "treadmill-data",
        "speed_kmh": 1.5,
        "total_distance_m": 0,
        "truncated": True,
    }


def test_features_list_names_and_reserved_bits(capsys: pytest.CaptureFixture[str]) -> None:
    """Feature bits print by name; a reserved bit prints as bitN rather than vanishing."""
    _, out, _ = decode(capsys, "feature", "4412000001000080")
    assert json.loads(out) == {
        "characteristic": "feature",
        "machine": ["TOTAL_DISTANCE", "STEP_COUNT", "EXPENDED_ENERGY", "ELAPSED_TIME"],
        "target_setting": ["SPEED", "bit31"],
    }


@pytest.mark.parametrize("pasted", ["012000", "2618012000", "06-16-26-18-01-20-00"])
def test_advertisement_with_or_without_its_header(
    capsys: pytest.CaptureFixture[str], pasted: str
) -> None:
    """Service data, UUID + data, or the whole raw AD structure all decode."""
    _, out, _ = decode(capsys, "advertisement", pasted)
    assert json.loads(out) == {
        "characteristic": "advertisement",
        "available": True,
        "machine_types": ["INDOOR_BIKE"],
        "byte_swapped": False,
    }


def test_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    """Speed and incline ranges print in km/h and %."""
    _, out, _ = decode(capsys, "speed-range", "3200d0070a00")
    assert json.loads(out) == {
        "characteristic": "speed-range",
        "minimum_kmh": 0.5,
        "maximum_kmh": 20.0,
        "increment_kmh": 0.1,
    }
    _, out, _ = decode(capsys, "incline-range", "e2ff96000500")
    assert json.loads(out)["minimum_pct"] == -3.0


def test_ambiguous_record_says_which_layout_was_read(capsys: pytest.CaptureFixture[str]) -> None:
    """`61002c014001` prints no speed (not the 3.0 km/h it used to) and why it is ambiguous."""
    code, out, _ = decode(capsys, "treadmill-data", "61002c014001")
    assert code == 0
    printed = json.loads(out)
    assert "speed_kmh" not in printed
    assert printed["truncated"] is False
    [why] = printed["ambiguous"]
    assert why.startswith("4 data bytes fit 2 layouts exactly: read as uint16 pace")


def test_declarations_mark_values_suspect(capsys: pytest.CaptureFixture[str]) -> None:
    """--feature and --incline-range (bytes as read) list the values they contradict."""
    code, out, _ = decode(
        capsys,
        "treadmill-data",
        "19002c011400050000",
        "--feature",
        "0800000003000000",
        "--incline-range",
        "e2ff96000500",
        "--speed-range",
        "3200d0070a00",
    )
    assert code == 0
    printed = json.loads(out)
    assert printed["incline_pct"] == 30.0
    assert printed["truncated"] is True
    assert printed["suspect"] == {
        "incline_pct": "30 % is above the Inclination Range maximum 15 %",
        "positive_elevation_gain_m": "the Fitness Machine Feature does not claim elevation gain",
    }


def test_declarations_also_mark_merged_parts(capsys: pytest.CaptureFixture[str]) -> None:
    """Parts merged into one record are checked as a whole."""
    _, out, _ = decode(capsys, "2acd", "0101 c8", "0000 d007", "--speed-range", "640058023200")
    printed = json.loads(out)
    assert printed["parts"] == 2
    assert set(printed["suspect"]) == {"speed_kmh"}


def test_a_record_within_its_declarations_prints_no_suspect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A walking pad's own record against its own Feature and range is clean."""
    _, out, _ = decode(
        capsys,
        "treadmill-data",
        "84242c0131000002000000003d005b0000",
        "--feature",
        "4412000001000000",
        "--speed-range",
        "640058023200",
    )
    assert "suspect" not in json.loads(out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["status", "05"], "Fitness Machine Status (0x2ADA): Target Speed Changed needs"),
        (["treadmill-data", "0a"], "Treadmill Data (0x2ACD): needs the 2-byte flags"),
        (["control-point", "0803"], "bytes: 08 03"),
        (["status", "zz"], "HEX 'zz' is not hex bytes"),
        (["status", "abc"], "is not hex bytes"),
        (["2a37", "00"], "unknown characteristic '2a37'"),
        (["status", "04", "--speed-range", "00"], "--speed-range applies to treadmill-data only"),
        (["2acd", "0000", "--feature", "zz"], "--feature 'zz' is not hex bytes"),
        (["2acd", "0000", "--incline-range", "00"], "Supported Inclination Range (0x2AD5)"),
    ],
)
def test_malformed_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Bad bytes or names exit 2 with one error line naming what was wrong, no traceback."""
    code, out, err = decode(capsys, *argv)
    assert code == 2
    assert not out
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
