"""Tests of raremin.config: the project file, its checks, its template and a full run."""

from __future__ import annotations

import copy
import json
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin.config import SECTIONS, Project, ProjectError, load_project, template
from raremin.errors import InputError
from raremin.geostats.models import VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood

DELETE = object()

SAMPLES_CSV = """x,y,z,cu_pct
10,10,5,0.8
50,10,5,0.8
90,10,5,0.8
10,50,10,0.8
50,50,10,5.0
90,50,10,0.8
10,90,15,0.8
50,90,15,-99
90,90,15,0.8
500,500,5,<0.01
"""

# Two vertical holes; headers raremin does not recognise (mapped in the project).
COLLARS_CSV = "BHID,E_local,N_local,Elev_local\nD1,10,10,100\nD2,60,60,100\n"
SURVEYS_CSV = "BHID,Station,Azimuth,Dip\nD1,0,0,-90\nD2,0,0,-90\n"
ASSAYS_CSV = ("BHID,From,To,Copper\nD1,0,1,0.5\nD1,1,2,0.7\nD1,2,3,0.9\nD1,3,4,1.1\n"
              "D2,0,1,0.2\nD2,1,2,<0.01\nD2,2,3,0.4\nD2,3,4,0.6\n")


def _base_samples() -> dict:
    return {
        "project": {"name": "Test deposit", "crs": "EPSG:26912", "out": "results"},
        "data": {"samples": "samples.csv"},
        "assays": {"below_detection": "half"},
        "topcuts": {"cu_pct": 0.8},
        "zones": {"zone": [{"name": "Main", "bounds": [0.0, 0.0, 100.0, 100.0],
                            "top_m": 20.0, "bottom_m": 0.0, "density_t_m3": 2.5}]},
        "estimation": {"estimator": "idw", "block_size_m": [10.0, 10.0, 5.0],
                       "zones": {"Main": {"variogram": "auto", "search": "auto"}}},
        "report": {"cutoff_grade": "cu_pct", "cutoffs": [0.0, 0.5]},
    }


def _base_drillholes() -> dict:
    return {
        "project": {"crs": "EPSG:26912"},
        "data": {"collars": "collars.csv", "surveys": "surveys.csv", "assays": "assays.csv",
                 "columns": {"collars": {"hole_id": "BHID", "easting_m": "E_local",
                                         "northing_m": "N_local", "elevation_m": "Elev_local"},
                             "surveys": {"depth_m": "Station"}},
                 "grades": {"Copper": "cu_pct"}},
        "composites": {"length_m": 2.0, "residual": "merge", "zone_aware": True},
        "zones": {"zone": [{"name": "Main", "polygon": [[0, 0], [100, 0], [100, 100], [0, 100]],
                            "top_m": 101.0, "bottom_m": 90.0, "density_t_m3": 2.7}]},
        "estimation": {"estimator": "idw", "block_size_m": 10.0},
    }


# ------------------------------------------------------------------ a small TOML writer
def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_name(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return repr(v)


def _name(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _dump(doc: dict, prefix: str = "") -> str:
    lines, tables = [], []
    for key, v in doc.items():
        if isinstance(v, dict):
            tables.append(("table", key, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append(("array", key, v))
        else:
            lines.append(f"{_name(key)} = {_value(v)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for kind, key, v in tables:
        path = f"{prefix}.{_name(key)}" if prefix else _name(key)
        if kind == "table":
            text += f"\n[{path}]\n" + _dump(v, path)
        else:
            for item in v:
                text += f"\n[[{path}]]\n" + _dump(item, path)
    return text


def _set(doc: dict, dotted: str, value) -> None:
    *head, last = dotted.split(".")
    node = doc
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


def _write(folder: Path, doc: dict, name: str = "project.toml") -> Path:
    for file, text in (("samples.csv", SAMPLES_CSV), ("collars.csv", COLLARS_CSV),
                       ("surveys.csv", SURVEYS_CSV), ("assays.csv", ASSAYS_CSV)):
        if not (folder / file).exists():
            (folder / file).write_text(text)
    path = folder / name
    path.write_text(_dump(doc))
    return path


def _project(folder: Path, base=_base_samples, **changes) -> Path:
    doc = copy.deepcopy(base())
    for dotted, value in changes.items():
        _set(doc, dotted, value)
    return _write(folder, doc)


# ------------------------------------------------------------------ validation errors
S, D = _base_samples, _base_drillholes
BAD_PROJECTS = [
    # (id, base, {dotted key: value}, fragments the message must hold)
    ("unknown section", S, {"reprot": {"basis": "oxide"}},
     ["unknown section [reprot]", "did you mean 'report'?", "estimation"]),
    ("unknown project key", S, {"project.nmae": "x"},
     ["unknown key project.nmae", "did you mean 'name'?", "crs, name, out"]),
    ("unknown per-zone key", S, {"estimation.zones.Main.serach": "auto"},
     ["unknown key estimation.zones.Main.serach", "did you mean 'search'?",
      "Allowed keys in [estimation.zones.Main]: search, variogram"]),
    ("unknown column name", S, {"data.columns": {"eastng_m": "E"}},
     ["data.columns.eastng_m", "did you mean 'easting_m'?"]),
    ("column of a drillhole table for samples", S, {"data.columns": {"dip_deg": "Dip"}},
     ["unknown key data.columns.dip_deg"]),
    ("unknown key without a close one", S, {"report.zzzz": 1},
     ["unknown key report.zzzz; Allowed keys in [report]: basis, baskets, code, cutoff_grade"]),
    ("missing section", S, {"zones": DELETE}, ["the [zones] section is missing"]),
    ("crs missing", S, {"project.crs": DELETE}, ["project.crs is missing", '"local"']),
    ("crs geographic", S, {"project.crs": "EPSG:4326"}, ["project.crs", "geographic"]),
    ("crs unknown", S, {"project.crs": "EPSG:nonsense"},
     ["project.crs", "not a coordinate reference system"]),
    ("crs wrong type", S, {"project.crs": True},
     ["project.crs = true is not valid", '"EPSG:<code>"']),
    ("name wrong type", S, {"project.name": 12}, ["project.name = 12", "text in quotes"]),
    ("missing file", S, {"data.samples": "nowhere/s.csv"},
     ["data.samples = \"nowhere/s.csv\"", "nowhere/s.csv does not exist"]),
    ("folder not file", S, {"data.samples": "."}, ["is a folder, not a file"]),
    ("unset variable", S, {"data.samples": "${RAREMIN_TEST_UNSET_VARIABLE}/s.csv"},
     ["data.samples", "'RAREMIN_TEST_UNSET_VARIABLE' is not set"]),
    ("unset bare variable", S, {"data.samples": "$RAREMIN_TEST_UNSET_VARIABLE/s.csv"},
     ["'RAREMIN_TEST_UNSET_VARIABLE' is not set"]),
    ("samples and drillholes", S, {"data.collars": "collars.csv"}, ["not both"]),
    ("no data file", S, {"data.samples": DELETE}, ["data.collars is missing"]),
    ("incomplete drillholes", D, {"data.surveys": DELETE}, ["data.surveys is missing"]),
    ("drillhole key with samples", S, {"data.length_unit": "ft"},
     ["data.length_unit applies to drillhole exports"]),
    ("bad delimiter", S, {"data.delimiter": ";;"}, ["data.delimiter", "one character"]),
    ("bad decimal", S, {"data.decimal": ":"}, ["data.decimal", '".", ","']),
    ("bad encoding", S, {"data.encoding": "klingon-8"}, ["data.encoding", "text encoding"]),
    ("bad length unit", D, {"data.length_unit": "yards"}, ["data.length_unit", '"m", "ft"']),
    ("bad dip convention", D, {"data.dip_convention": "down"},
     ["data.dip_convention", "negative_down"]),
    ("default dip out of range", D, {"data.default_dip": 100},
     ["data.default_dip = 100", "<= 90"]),
    ("bad grade name", S, {"data.grades": {"Au": "gold"}},
     ['data.grades.Au = "gold"', "grade name with its unit"]),
    ("grade mapped twice", S, {"data.grades": {"Cu": "cu_pct", "Copper": "Cu_pct"}},
     ["data.grades.Copper", "'Cu' is already mapped to cu_pct"]),
    ("zone named Total", S, {"zones.zone.0.name": "Total"},
     ['zones.zone[1].name = "Total"', "name the zone otherwise"]),
    ("columns mixed", D, {"data.columns.hole_id": "BHID"}, ["data.columns mixes"]),
    ("columns table for samples", D, {"data.columns.samples": {"zone": "Domain"}},
     ["unknown key data.columns.samples"]),
    ("local data crs", S, {"data.crs": "local"}, ["data.crs", "cannot reproject"]),
    ("bad policy", S, {"assays.below_detection": "halve"},
     ["assays.below_detection = \"halve\"", '"half"', "did you" if False else "use one of"]),
    ("codes not a list", S, {"assays.missing_codes": -99}, ["assays.missing_codes", "list"]),
    ("code not a number", S, {"assays.missing_codes": [-99, "NA"]},
     ['assays.missing_codes[2] = "NA"']),
    ("composites with samples", S, {"composites": {"length_m": 2.0}},
     ["[composites] applies to drillhole exports"]),
    ("bad composite length", D, {"composites.length_m": "automatic"},
     ["composites.length_m", '"auto" or "none"']),
    ("negative composite length", D, {"composites.length_m": -2.0}, ["composites.length_m"]),
    ("bad residual", D, {"composites.residual": "split"}, ["composites.residual", '"merge"']),
    ("zone_aware not bool", D, {"composites.zone_aware": "yes"},
     ["composites.zone_aware", "true or false"]),
    ("negative top-cut", S, {"topcuts.cu_pct": -1.0}, ["topcuts.cu_pct = -1.0", "> 0"]),
    ("top-cut of a non-grade", S, {"topcuts.recovery": 5.0},
     ["topcuts.recovery", "grade name"]),
    ("top-cut twice", S, {"topcuts.Cu_pct": 1.0}, ["second top-cut for cu_pct"]),
    ("zones both ways", S, {"zones.file": "samples.csv"}, ["zones", "found both"]),
    ("zones neither way", S, {"zones": {}}, ["found neither"]),
    ("zone file of the wrong kind", S, {"zones": {"file": "samples.csv"}},
     ["zones.file", "GeoPackage"]),
    ("file option with inline zones", S, {"zones.zone_column": "name"},
     ["zones.zone_column applies to a zones file"]),
    ("zone without name", S, {"zones.zone.0.name": DELETE}, ["zones.zone[1].name is missing"]),
    ("zone bounds and polygon", S, {"zones.zone.0.polygon": [[0, 0], [1, 0], [1, 1]]},
     ["zones.zone[1]", "found both"]),
    ("zone bounds short", S, {"zones.zone.0.bounds": [0, 0, 10]},
     ["zones.zone[1].bounds", "list of 4 numbers"]),
    ("zone bounds reversed", S, {"zones.zone.0.bounds": [10, 0, 0, 10]},
     ["zones.zone[1].bounds", "xmin < xmax"]),
    ("zone polygon corner", S, {"zones.zone.0.bounds": DELETE,
                                "zones.zone.0.polygon": [[0, 0], [10, 0], [10]]},
     ["zones.zone[1].polygon[3]", "list of 2 numbers"]),
    ("zone polygon invalid", S, {"zones.zone.0.bounds": DELETE,
                                 "zones.zone.0.polygon": [[0, 0], [10, 10], [10, 0], [0, 10]]},
     ["zones.zone[1]", "Main"]),
    ("zone upside down", S, {"zones.zone.0.top_m": -5.0}, ["zones.zone[1]", "top_m"]),
    ("zone density", S, {"zones.zone.0.density_t_m3": 0}, ["zones.zone[1].density_t_m3"]),
    ("zone unknown key", S, {"zones.zone.0.densty_t_m3": 2.5},
     ["unknown key zones.zone[1].densty_t_m3", "did you mean 'density_t_m3'?"]),
    ("zones duplicated", S, {"zones.zone": [
        {"name": "Main", "bounds": [0, 0, 10, 10], "top_m": 1, "bottom_m": 0, "density_t_m3": 2},
        {"name": "Main", "bounds": [20, 0, 30, 10], "top_m": 1, "bottom_m": 0,
         "density_t_m3": 2}]}, ["zones", "duplicate zone names"]),
    ("settings for an unknown zone", S, {"estimation.zones.Mian": {"search": "auto"}},
     ["estimation.zones.Mian: no zone of that name", "did you mean 'Main'?"]),
    ("per-zone settings not a table", S, {"estimation.zones.Main": DELETE,
                                          "estimation.zones": {"Main": "auto"}},
     ["estimation.zones.Main = \"auto\"", "expected a table"]),
    ("bad estimator", S, {"estimation.estimator": "krige"},
     ["estimation.estimator", '"kriging", "idw"']),
    ("block size of two", S, {"estimation.block_size_m": [10.0, 10.0]},
     ["estimation.block_size_m", "list of 1 or 3 numbers"]),
    ("block size zero", S, {"estimation.block_size_m": 0}, ["estimation.block_size_m[1] = 0"]),
    ("max_per_hole fraction", S, {"estimation.max_per_hole": 2.5},
     ["estimation.max_per_hole = 2.5", "whole number >= 1"]),
    ("seed negative", S, {"estimation.seed": -1}, ["estimation.seed = -1"]),
    ("max_blocks bool", S, {"estimation.max_blocks": True}, ["estimation.max_blocks = true"]),
    ("grade twice", S, {"estimation.grades": ["cu_pct", "Cu_pct"]}, ["listed twice"]),
    ("grades empty", S, {"estimation.grades": []}, ["estimation.grades = []"]),
    ("bad negative policy", S, {"estimation.negative_estimates": "clip"},
     ["estimation.negative_estimates"]),
    ("variogram word", S, {"estimation.zones.Main.variogram": "fitted"},
     ["estimation.zones.Main.variogram", 'expected "auto" or a table']),
    ("variogram shape", S, {"estimation.zones.Main.variogram": {
        "nugget": 0.1, "structures": [{"shape": "sphere", "sill": 1.0, "ranges": [100.0]}]}},
     ["estimation.zones.Main.variogram.structures[1]", "unknown variogram shape"]),
    ("variogram without sill", S, {"estimation.zones.Main.variogram": {
        "structures": [{"shape": "spherical", "ranges": [100.0]}]}},
     ["estimation.zones.Main.variogram.structures[1].sill is missing"]),
    ("variogram key typo", S, {"estimation.zones.Main.variogram": {
        "structures": [{"shape": "spherical", "sill": 1.0, "range": 100.0}]}},
     ["variogram.structures[1].range", "did you mean 'ranges'?"]),
    ("variogram negative nugget", S, {"estimation.zones.Main.variogram": {"nugget": -1.0}},
     ["estimation.zones.Main.variogram.nugget = -1.0", ">= 0"]),
    ("variogram empty", S, {"estimation.zones.Main.variogram": {"nugget": 0.0}},
     ["estimation.zones.Main.variogram", "needs a nugget or at least one structure"]),
    ("variogram ranges", S, {"estimation.zones.Main.variogram": {
        "structures": [{"shape": "spherical", "sill": 1.0, "ranges": [100.0, 0.0]}]}},
     ["variogram.structures[1].ranges[2] = 0.0", "> 0"]),
    ("variogram structures not a list", S, {"estimation.zones.Main.variogram": {
        "structures": {"shape": "spherical", "sill": 1.0, "ranges": 100.0}}},
     ["variogram.structures", "expected a list"]),
    ("search samples", S, {"estimation.zones.Main.search": {"max_samples": 4,
                                                            "min_samples": 6}},
     ["estimation.zones.Main.search", "min_samples (6)"]),
    ("search zero samples", S, {"estimation.zones.Main.search": {"max_samples": 0}},
     ["estimation.zones.Main.search.max_samples = 0"]),
    ("search key typo", S, {"estimation.zones.Main.search": {"radious": 2.0}},
     ["search.radious", "did you mean 'radius'?"]),
    ("no cut-off", S, {"report.cutoffs": []}, ["report.cutoffs", "at least one cut-off"]),
    ("negative cut-off", S, {"report.cutoffs": [-0.1]}, ["report.cutoffs[1] = -0.1"]),
    ("bad unit", S, {"report.unit": "ppt"}, ["report.unit", "ppt"]),
    ("bad basket", S, {"report.baskets": ["treo", "xyz"]}, ["report.baskets[2]", "xyz"]),
    ("bad basis", S, {"report.basis": "oxides"}, ["report.basis", '"oxide", "element"']),
    ("bad cut-off grade", S, {"report.cutoff_grade": "copper"},
     ["report.cutoff_grade = \"copper\"", "cu_pct"]),
    ("section not a table", S, {"topcuts": DELETE, "report": DELETE, "assays": 3},
     ["assays = 3 is not valid", "expected a table ([assays])"]),
]


@pytest.mark.parametrize(("base", "changes", "fragments"),
                         [case[1:] for case in BAD_PROJECTS], ids=[c[0] for c in BAD_PROJECTS])
def test_every_bad_key_is_named_on_one_line(tmp_path, monkeypatch, base, changes, fragments):
    monkeypatch.delenv("RAREMIN_TEST_UNSET_VARIABLE", raising=False)
    path = _project(tmp_path, base, **changes)
    with pytest.raises(ProjectError) as info:
        load_project(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(("text", "fragment"), [
    ("[project\ncrs = 1", "not valid TOML"),
    ('[project]\ncrs = "EPSG:26912"\ncrs = "local"\n', "not valid TOML"),
])
def test_not_toml(tmp_path, text, fragment):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ProjectError, match=fragment):
        load_project(path)


def test_missing_project_file(tmp_path):
    with pytest.raises(ProjectError, match="no such project file"):
        load_project(tmp_path / "absent.toml")


def test_every_error_is_raised_before_reading_data(tmp_path):
    # An unreadable samples file is not read at load time: the error is about the key.
    path = _project(tmp_path, **{"report.basis": "oxides"})
    (tmp_path / "samples.csv").write_bytes(b"\x00\x01")
    with pytest.raises(ProjectError, match="report.basis"):
        load_project(path)


# ---------------------------------------------------------------------------- loading
def test_settings_and_defaults(tmp_path):
    project = load_project(_project(tmp_path))
    assert isinstance(project, Project)
    assert project.name == "Test deposit"
    assert project.crs.to_epsg() == 26912
    assert project.out == tmp_path / "results"
    assert project.path == tmp_path / "project.toml"
    assert project.data["kind"] == "samples"
    assert project.files == {"data.samples": tmp_path / "samples.csv"}
    assert project.assays["missing_codes"] == [-99.0, -999.0, -9999.0, -99999.0]
    assert project.composites == {"length_m": "auto", "residual": "merge", "zone_aware": True}
    assert project.topcuts == {"cu_pct": 0.8}
    options = project.assess_options()
    assert options == {
        "block_size": (10.0, 10.0, 5.0), "cutoff_grade": "cu_pct", "cutoffs": [0.0, 0.5],
        "basis": "oxide", "unit": "pct", "estimator": "idw", "grades": None, "variograms": {},
        "searches": {}, "max_per_hole": None, "negative": "zero", "seed": 0,
        "max_blocks": 20_000_000, "baskets": ("treo", "lreo", "hreo", "mreo", "ndpr", "creo"),
        "simulate": 0, "discretisation": (2, 2, 1), "classification": None, "code": "JORC",
        "statement_cutoffs": None, "prices": None}
    with pytest.raises(TypeError):
        project.data["kind"] = "drillholes"  # read-only
    line = project.describe()
    assert str(tmp_path / "project.toml") in line and str(tmp_path / "samples.csv") in line
    assert "EPSG:26912" in line


def test_normalised_values(tmp_path):
    project = load_project(_project(tmp_path, **{
        "project.crs": 26912, "data.delimiter": "tab", "data.encoding": "UTF8",
        "assays.below_detection": "Zero", "estimation.block_size_m": 20,
        "estimation.grades": ["Cu_PCT"], "report.unit": "%", "report.baskets": ["NdPr"],
        "topcuts": {"Cu_pct": 1.5}}))
    assert project.crs.to_epsg() == 26912
    assert project.data["delimiter"] == "\t" and project.data["encoding"] == "utf-8"
    assert project.assays["below_detection"] == "zero"
    assert project.topcuts == {"cu_pct": 1.5}
    options = project.assess_options()
    assert options["block_size"] == 20.0 and options["grades"] == ("cu_pct",)
    assert options["unit"] == "pct" and options["baskets"] == ("ndpr",)


def test_paths_are_relative_to_the_project_and_expand_variables(tmp_path, monkeypatch):
    data = tmp_path / "shared data"
    data.mkdir()
    (data / "s.csv").write_text(SAMPLES_CSV)
    project_dir = tmp_path / "projects"
    project_dir.mkdir()
    monkeypatch.chdir(tmp_path)  # not the project folder: paths must not depend on it
    monkeypatch.setenv("RAREMIN_TEST_DATA", str(data))
    monkeypatch.setenv("HOME", str(tmp_path))
    for text in ("${RAREMIN_TEST_DATA}/s.csv", "$RAREMIN_TEST_DATA/s.csv",
                 "~/shared data/s.csv", "../shared data/s.csv", str(data / "s.csv")):
        path = _project(project_dir, **{"data.samples": text})
        found = load_project(path).data["files"]["samples"]
        assert found.resolve() == (data / "s.csv").resolve(), text


def test_out_folder_need_not_exist_and_expands(tmp_path, monkeypatch):
    monkeypatch.setenv("RAREMIN_TEST_OUT", str(tmp_path / "elsewhere"))
    project = load_project(_project(tmp_path, **{"project.out": "$RAREMIN_TEST_OUT/run1"}))
    assert project.out == tmp_path / "elsewhere" / "run1"
    assert not project.out.exists()
    default = load_project(_project(tmp_path, **{"project.out": DELETE, "project.name": DELETE}))
    assert default.out == tmp_path / "raremin-output" and default.name == "project"


def test_variogram_and_search_tables(tmp_path):
    project = load_project(_project(tmp_path, **{
        "estimation.estimator": "kriging", "estimation.max_per_hole": 3,
        "estimation.zones.Main.variogram": {"nugget": 0.1, "structures": [
            {"shape": "spherical", "sill": 0.6, "ranges": [300.0, 200.0, 50.0],
             "angles": [45.0, 0.0, 0.0]},
            {"shape": "exponential", "sill": 0.3, "ranges": 800}]},
        "estimation.zones.Main.search": {"max_samples": 12, "min_samples": 3,
                                         "ranges": [300.0, 200.0, 50.0],
                                         "angles": [45.0, 0.0, 0.0], "max_per_octant": 2}}))
    options = project.assess_options()
    model = options["variograms"]["Main"]
    assert isinstance(model, VariogramModel)
    assert model.nugget == 0.1 and model.sill == pytest.approx(1.0)
    assert [s.ranges for s in model.structures] == [(300.0, 200.0, 50.0), (800.0,)]
    search = options["searches"]["Main"]
    assert isinstance(search, Neighbourhood)
    assert (search.max_samples, search.min_samples, search.max_per_octant) == (12, 3, 2)
    assert search.ranges == (300.0, 200.0, 50.0) and search.radius == 1.0
    assert options["max_per_hole"] == 3


def test_kriging_settings_with_idw_warn(tmp_path):
    path = _project(tmp_path, **{"estimation.zones.Main.search": {"max_samples": 8}})
    with pytest.warns(UserWarning, match=r"estimation.zones.Main.search apply to estimator"):
        load_project(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_project(_project(tmp_path))  # all "auto": nothing to say


def test_zone_names_with_spaces_are_quoted(tmp_path):
    zone = {"name": "Main pit", "bounds": [0, 0, 10, 10], "top_m": 1, "bottom_m": 0,
            "density_t_m3": 2.5}
    path = _project(tmp_path, **{"zones.zone": [zone], "estimation.zones": {
        "Main pit": {"serach": "auto"}}})
    with pytest.raises(ProjectError, match=r'estimation\.zones\."Main pit"\.serach'):
        load_project(path)


def test_zones_from_a_file(tmp_path):
    import geopandas as gpd
    from shapely import box

    frame = gpd.GeoDataFrame({"domain": ["North", "South"], "top": [20.0, 20.0],
                              "bottom": [0.0, 0.0]},
                             geometry=[box(0, 50, 100, 100), box(0, 0, 100, 50)], crs=26912)
    frame.to_file(tmp_path / "zones.gpkg")
    frame.set_crs(32612, allow_override=True).to_file(tmp_path / "other.geojson")
    zones = {"file": "zones.gpkg", "zone_column": "domain", "top_column": "top",
             "bottom_column": "bottom", "density_t_m3": 2.5}
    project = load_project(_project(tmp_path, **{
        "zones": zones, "estimation.zones": {"North": {"variogram": "auto"},
                                             "South": {"search": "auto"}}}))
    assert project.files["zones.file"] == tmp_path / "zones.gpkg"
    deposit = project.deposit()
    assert deposit.names == ("North", "South") and deposit.name == "Test deposit"
    assert deposit.tonnage_t == pytest.approx(100 * 100 * 20 * 2.5)
    assert deposit.crs.to_epsg() == 26912
    # names in [estimation.zones] are checked when the file is read
    with pytest.raises(ProjectError, match=r"estimation.zones.Main: the deposit has no zone"):
        load_project(_project(tmp_path, **{"zones": zones, "estimation.zones": {
            "Main": {"search": "auto"}}})).deposit()
    # a file in another CRS than the project
    other = load_project(_project(tmp_path, **{"zones": {**zones, "file": "other.geojson"},
                                               "estimation.zones": DELETE}))
    with pytest.raises(ProjectError, match=r"zones.file: .* is in WGS 84 / UTM zone 12N"):
        other.deposit()
    # a missing column of the file is named with the key
    with pytest.raises(ProjectError, match=r"zones.file .*lacks column"):
        load_project(_project(tmp_path, **{"zones": {**zones, "zone_column": "zone"},
                                           "estimation.zones": DELETE})).deposit()


# --------------------------------------------------------------------------- template
def _template_project(folder: Path, text: str) -> Path:
    for name in ("collars.csv", "surveys.csv", "assays.csv"):
        (folder / name).write_text("x\n")  # only their existence is checked at load time
    path = folder / "raremin.toml"
    path.write_text(text)
    return path


def test_template_loads_and_states_the_defaults(tmp_path):
    project = load_project(_template_project(tmp_path, template()))
    assert project.data["kind"] == "drillholes"
    assert project.deposit().names == ("Main",)
    minimal = load_project(_project(tmp_path, base=_base_drillholes, **{
        "composites": DELETE, "estimation": DELETE, "data.columns": DELETE,
        "data.grades": DELETE}))
    for section in ("assays", "composites"):
        assert dict(getattr(project, section)) == dict(getattr(minimal, section)), section
    for key in ("estimator", "block_size_m", "negative_estimates", "seed", "max_blocks"):
        assert project.estimation[key] == minimal.estimation[key], key
    template_options, default_options = project.assess_options(), minimal.assess_options()
    for key in ("basis", "unit", "baskets", "cutoffs", "cutoff_grade"):
        assert template_options[key] == default_options[key], key
    assert minimal.data["dip_convention"] == project.data["dip_convention"] == "auto"


def test_template_names_every_key():
    text = template()
    keys = ["name", "crs", "out", "samples", "collars", "surveys", "assays", "delimiter",
            "decimal", "encoding", "length_unit", "coordinate_unit", "dip_convention",
            "default_dip", "below_detection", "missing_codes", "length_m", "residual",
            "zone_aware", "file", "zone_column", "top_column", "bottom_column",
            "density_column", "density_t_m3", "polygon", "bounds", "top_m", "bottom_m",
            "estimator", "block_size_m", "grades", "max_per_hole", "negative_estimates",
            "seed", "max_blocks", "variogram", "search", "nugget", "structures", "shape",
            "sill", "ranges", "angles", "radius", "max_samples", "min_samples",
            "max_per_octant", "cutoff_grade", "cutoffs", "basis", "unit", "baskets"]
    for key in keys:
        assert re.search(rf"\b{key} =", text), key
    for section in SECTIONS:
        assert f"[{section}]" in text, section
    assert all(len(line) <= 100 for line in text.splitlines())


def test_template_alternatives_load_when_uncommented(tmp_path):
    text = template()
    for key in ("variogram", "search"):
        text = text.replace(f'{key} = "auto"', "", 1)
    # uncomment the table examples of variogram and search (and their continuation lines)
    text = re.sub(r"^# (variogram = .*|search = .*|    .*|\] \}.*|    300.*)$", r"\1", text,
                  flags=re.M)
    text = text.replace('estimator = "kriging"', 'estimator = "kriging"\nmax_per_hole = 4')
    project = load_project(_template_project(tmp_path, text))
    options = project.assess_options()
    assert options["variograms"]["Main"].sill == pytest.approx(1.0)
    assert options["searches"]["Main"].max_per_octant == 4


# ------------------------------------------------------------------------------- runs
def test_run_with_inline_zones_and_samples(tmp_path):
    project = load_project(_project(tmp_path))
    result = project.run()
    total = result.summary.query("zone == 'Total'").set_index("cutoff_pct")
    # 100 m x 100 m x 20 m x 2.5 t/m3; every sample used is 0.8 % Cu once the 5.0 % is
    # top-cut to 0.8 and -99 read as missing, so inverse distance gives 0.8 % everywhere.
    assert total.loc[0.0, "tonnage_t"] == pytest.approx(500_000.0)
    assert total.loc[0.5, "cu_pct"] == pytest.approx(0.8)
    assert total.loc[0.5, "cu_t"] == pytest.approx(4000.0)
    assert result.samples_outside == 1
    prep = result.preparation
    assert prep.count("top-cut") == 1 and prep.count("missing codes") == 1
    assert prep.count("below detection") == 1


def test_settings_reach_the_preparation(tmp_path):
    project = load_project(_project(tmp_path, **{"topcuts": DELETE,
                                                 "assays.below_detection": "zero",
                                                 "assays.missing_codes": []}))
    prep = project.prepare(project.deposit())
    cu = prep.samples["cu_pct"].to_numpy()
    # no top-cut; without missing codes, -99 is a below-detection code, set to zero
    assert cu[4] == 5.0 and cu[7] == 0.0
    assert cu[-1] == 0.0  # "<0.01" set to zero
    assert prep.count("top-cut") == 0 and prep.count("missing codes") == 0
    assert prep.count("below detection") == 2


def test_drillholes_with_mapped_columns(tmp_path):
    project = load_project(_project(tmp_path, base=_base_drillholes))
    assert project.data["kind"] == "drillholes"
    prep = project.prepare(project.deposit())
    frame = prep.samples.sort_values(["hole_id", "from_m"])
    assert frame["hole_id"].tolist() == ["D1", "D1", "D2", "D2"]
    assert frame["length_m"].tolist() == [2.0, 2.0, 2.0, 2.0]
    # D2 1-2 m is "<0.01": half the limit, 0.005
    assert frame["cu_pct"].to_numpy() == pytest.approx([0.6, 1.0, 0.1025, 0.5])
    assert frame["elevation_m"].to_numpy() == pytest.approx([99.0, 97.0, 99.0, 97.0])
    assert set(frame["zone"]) == {"Main"}
    assert prep.settings["composite_length_m"] == 2.0
    result = project.run()
    assert float(result.summary.query("zone == 'Total'")["tonnage_t"].iloc[0]) == (
        pytest.approx(100 * 100 * 11 * 2.7))


@pytest.mark.filterwarnings("ignore:.*not estimated.*:UserWarning")
def test_copper_creek_project(validation_dir, tmp_path):
    # The project points at the data through the environment variable, as a project kept
    # in a repository would. The box holds the central drilling (199 of 545 collars).
    text = f"""
[project]
name = "Copper Creek (central box)"
crs = "EPSG:26912"
out = "{tmp_path / 'out'}"

[data]
collars = "${{RAREMIN_VALIDATION_DATA}}/realdata/copper_creek/collar.csv"
surveys = "${{RAREMIN_VALIDATION_DATA}}/realdata/copper_creek/survey.csv"
assays = "${{RAREMIN_VALIDATION_DATA}}/realdata/copper_creek/assay.csv"

[composites]
length_m = "auto"

[[zones.zone]]
name = "Central"
bounds = [548000.0, 3623500.0, 549000.0, 3624500.0]
top_m = 1300.0
bottom_m = 400.0
density_t_m3 = 2.6

[estimation]
estimator = "idw"
block_size_m = [50.0, 50.0, 20.0]
grades = ["cu_pct", "mo_pct"]

[report]
cutoff_grade = "cu_pct"
cutoffs = [0.0, 0.2, 0.4]
"""
    path = tmp_path / "copper_creek.toml"
    path.write_text(text)
    project = load_project(path)
    assert project.files["data.collars"] == (
        validation_dir / "realdata" / "copper_creek" / "collar.csv")
    result = project.run()
    summary = result.summary
    assert len(summary) == 6 and set(summary["zone"]) == {"Central", "Total"}
    total = summary.query("zone == 'Total'").set_index("cutoff_pct")
    assert result.preparation.settings["composite_length_m"] == pytest.approx(3.05)
    # The box is drilled throughout: most of its 2.34 Gt has an estimate (91 % when written).
    box_t = 1000.0 * 1000.0 * 900.0 * 2.6
    assert 0.8 * box_t <= total.loc[0.0, "tonnage_t"] <= box_t
    assert result.zones["samples"].iloc[0] > 10_000
    assert 0.05 < total.loc[0.0, "cu_pct"] < 1.0
    assert total.loc[0.0, "tonnage_t"] > total.loc[0.2, "tonnage_t"] > total.loc[0.4, "tonnage_t"]
    assert total.loc[0.4, "cu_pct"] >= 0.4


def test_samples_in_another_crs_are_reprojected(tmp_path):
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 26912, always_xy=True)
    lon, lat = -110.5, 32.75
    x0, y0 = to_utm.transform(lon, lat)
    rows = "\n".join(f"{lon + dx},{lat + dy},5,0.5" for dx in (0.0, 0.0005) for dy in (0.0, 0.0005))
    (tmp_path / "samples.csv").write_text("lon,lat,z,cu_pct\n" + rows + "\n")
    zone = {"name": "Main", "bounds": [x0 - 100, y0 - 100, x0 + 200, y0 + 200], "top_m": 10.0,
            "bottom_m": 0.0, "density_t_m3": 2.5}
    project = load_project(_project(tmp_path, **{
        "data.crs": "EPSG:4326", "data.columns": {"easting_m": "lon", "northing_m": "lat"},
        "zones.zone": [zone]}))
    assert "(from WGS 84 (EPSG:4326))" in project.describe()
    prep = project.prepare(project.deposit())
    assert prep.count("reprojected") == 4
    assert prep.samples["easting_m"].iloc[0] == pytest.approx(x0)
    assert prep.samples["northing_m"].iloc[0] == pytest.approx(y0)


@settings(max_examples=25, deadline=None)
@given(sizes=st.one_of(st.floats(0.5, 500.0), st.lists(st.floats(0.5, 500.0), min_size=3,
                                                         max_size=3)),
       cutoffs=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=6),
       typo=st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_values_round_trip_and_unknown_keys_are_named(sizes, cutoffs, typo):
    with tempfile.TemporaryDirectory() as folder:
        path = _project(Path(folder), **{"estimation.block_size_m": sizes,
                                         "report.cutoffs": cutoffs})
        options = load_project(path).assess_options()
        assert options["block_size"] == (tuple(sizes) if isinstance(sizes, list) else sizes)
        assert options["cutoffs"] == cutoffs
        if typo not in ("cutoff_grade", "cutoffs", "basis", "unit", "baskets"):
            path = _project(Path(folder), **{f"report.{typo}": 1})
            with pytest.raises(ProjectError, match=rf"unknown key report\.{typo};"):
                load_project(path)


def test_classification_and_statement_keys(tmp_path):
    # [classification] rules by class and the statement keys of [report] reach assess
    path = _project(tmp_path)
    text = path.read_text() + """
[classification.measured]
max_spacing_m = 30.0
min_slope = 0.9
[classification.indicated]
max_spacing_m = 60.0
"""
    path.write_text(text.replace("[report]", '[report]\ncode = "ni 43-101"\n'
                                 'statement_cutoffs = [0.5]\nprices = "default"'))
    options = load_project(path).assess_options()
    assert options["classification"] == {"measured": {"max_spacing_m": 30.0, "min_slope": 0.9},
                                         "indicated": {"max_spacing_m": 60.0}}
    assert (options["code"], options["statement_cutoffs"], options["prices"]) == (
        "NI 43-101", [0.5], "default")
    path.write_text(text.replace("max_spacing_m = 30.0", "max_spacing_m = 90.0"))
    with pytest.raises(ProjectError, match="classification: .*90"):
        load_project(path)
    path.write_text(_project(tmp_path).read_text() + '[classification]\nrules = "strict"\n')
    with pytest.raises(ProjectError, match='classification.rules = "strict" is not valid'):
        load_project(path)
