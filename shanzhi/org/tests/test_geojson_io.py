"""Org units in and out as GeoJSON; the import is all or nothing and says what is wrong where."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.errors import NotFound
from shanzhi.lib.testing import LAT0, LON0, box, point_in
from shanzhi.org.geojson_io import export_feature_collection, import_feature_collection
from shanzhi.org.models import OrgUnit

VILLAGE, GRID1, GRID2 = "330421112202", "330421112202001", "330421112202002"


def feature(code, name, level, geometry=None, **props):
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": code, "name": name, "level": level, **props}}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def new_village_features():
    """A village in the empty north of 天凝镇, children listed before their parents on purpose."""
    return [
        feature(f"{GRID1}001", "南一组", "microgrid", box(0, 10, 5, 20), kind="villager_group"),
        feature(f"{GRID1}002", "南二组", "microgrid", box(5, 10, 10, 20), kind="村小组"),
        feature(GRID1, "新村第一网格", "grid", box(0, 10, 10, 20)),
        feature(GRID2, "新村第二网格", "grid", box(10, 10, 20, 20)),
        feature(VILLAGE, "新村", "village", box(0, 10, 20, 20), kind="village", parent_code="330421112"),
    ]


def reasons(report):
    return [str(p) for p in report.problems]


# --- export --------------------------------------------------------------------------------------------


def test_export_gives_every_unit_with_parent_and_counts(county):
    fc = export_feature_collection()
    assert fc["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in fc["features"]}
    assert len(by_code) == OrgUnit.objects.count() == 12
    assert fc["features"][0]["properties"]["code"] == "330421"  # parents first
    village = by_code["330421112201"]["properties"]
    assert village["name"] == "新联村" and village["level"] == "village" and village["kind"] == "village"
    assert village["parent_code"] == "330421112"
    assert village["household_count"] == 2 and village["resident_count"] == 3
    assert village["grid_worker_count"] == 2 and village["residents_per_grid_worker"] == 2
    assert by_code["330421"]["properties"]["parent_code"] is None
    assert by_code[county.mg_a1.code]["geometry"] == county.mg_a1.boundary


def test_export_a_subtree_or_one_level(county):
    codes = [f["properties"]["code"] for f in export_feature_collection(unit_code=county.grid_a.code)["features"]]
    assert codes == [county.grid_a.code, county.mg_a1.code, county.mg_a2.code]
    micro = export_feature_collection(level="microgrid")["features"]
    assert {f["properties"]["code"] for f in micro} == {county.mg_a1.code, county.mg_a2.code,
                                                        county.mg_b1.code, county.mg_c1.code}


def test_export_as_town_staff_stops_at_their_town(county):
    codes = {f["properties"]["code"] for f in export_feature_collection(user=county.town_staff)["features"]}
    assert county.grid_a.code in codes and county.grid_c.code not in codes and "330421" not in codes
    with pytest.raises(NotFound):
        export_feature_collection(user=county.town_staff, unit_code=county.grid_c.code)


# --- import: the good path -----------------------------------------------------------------------------


def test_import_creates_parents_before_children(county):
    report = import_feature_collection(json.dumps(collection(*new_village_features())), actor=county.town_staff)
    assert report.ok, reasons(report)
    assert report.created == 5
    mg = OrgUnit.objects.get(code=f"{GRID1}002")
    assert mg.kind == "villager_group" and mg.parent.code == GRID1
    assert mg.path == f"330421/330421112/{VILLAGE}/{GRID1}/{GRID1}002/"
    created = AuditEntry.objects.filter(action="org.unit.create", actor=county.town_staff)
    assert created.count() == 5


def test_import_renames_and_reshapes_existing_units(county):
    fc = collection(
        feature(county.grid_c.code, "洋桥村东网格", "grid", box(20, 0, 32, 10)),
        feature(county.mg_a1.code, "", "microgrid"),  # no name, no geometry: left as it is
    )
    report = import_feature_collection(json.dumps(fc, ensure_ascii=False).encode("utf-8-sig"), actor=None)
    assert report.ok, reasons(report)
    assert (report.renamed, report.reshaped, report.unchanged) == (1, 1, 1)
    grid = OrgUnit.objects.get(code=county.grid_c.code)
    assert grid.name == "洋桥村东网格" and grid.max_lon == pytest.approx(LON0 + 0.32)
    assert AuditEntry.objects.filter(action="org.unit.rename", object_id=str(grid.pk)).exists()


def test_an_export_imports_back_unchanged(county):
    fc = export_feature_collection(unit_code=county.village.code)
    report = import_feature_collection(fc, actor=None)
    assert report.ok and report.unchanged == len(fc["features"]) and report.created == 0


def test_a_new_micro_grid_is_found_by_locate_after_the_import(county, django_capture_on_commit_callbacks):
    from shanzhi.org.locate import locate

    assert locate(*point_in(2, 15)) is None
    with django_capture_on_commit_callbacks(execute=True):
        assert import_feature_collection(collection(*new_village_features()), actor=None).ok
    assert locate(*point_in(2, 15)).micro_grid.code == f"{GRID1}001"


# --- import: bad input ---------------------------------------------------------------------------------


def test_a_file_that_is_not_json_is_refused(county):
    report = import_feature_collection(b'{"type": "FeatureCollection", "features": [', actor=None)
    assert not report.ok and "不是有效的 JSON" in reasons(report)[0]


@pytest.mark.parametrize("data", [{"type": "Feature"}, [], {"type": "FeatureCollection"}])
def test_something_other_than_a_feature_collection_is_refused(county, data):
    report = import_feature_collection(data, actor=None)
    assert not report.ok and "FeatureCollection" in reasons(report)[0]


def test_every_problem_is_listed_with_index_code_and_reason_and_nothing_is_written(county):
    a, b, c, d = LON0 + 0.01, LAT0 + 0.11, LON0 + 0.04, LAT0 + 0.14
    fc = collection(
        feature(VILLAGE, "新村", "village", box(0, 10, 20, 20)),  # 0: fine on its own
        {"type": "Feature", "geometry": None, "properties": {"name": "无编码", "level": "grid"}},  # 1
        feature(GRID1, "缺层级", ""),  # 2
        feature("330421112299001", "孤儿网格", "grid"),  # 3: parent nowhere
        feature(f"{GRID1}001", "未闭合", "microgrid",
                {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d]]]}),  # 4
        feature(f"{GRID2}001", "点太少", "microgrid",
                {"type": "Polygon", "coordinates": [[[a, b], [c, b], [a, b]]]}),  # 5
        feature(GRID2, "新村第二网格", "grid", box(10, 10, 20, 20)),  # 6: fine
        feature("330421112202003", "蝴蝶结", "grid",
                {"type": "Polygon", "coordinates": [[[a, b], [c, d], [c, b], [a, d], [a, b]]]}),  # 7
        feature("330421112202004", "出界网格", "grid", box(15, 15, 25, 20)),  # 8: outside the village
        feature("330421112202005", "重叠网格", "grid", box(5, 12, 12, 18)),  # 9: overlaps 6
        feature(county.grid_c.code, "洋桥", "grid", box(15, 0, 30, 10)),  # 10: overlaps 新联村 and grid area
        feature("330421112203", "盖住新联村", "village", box(0, 5, 10, 10)),  # 11: overlaps 新联村
    )
    audits = AuditEntry.objects.count()
    report = import_feature_collection(fc, actor=None)
    text = reasons(report)
    assert not report.ok
    expected = {
        1: "缺少编码",
        2: "缺少层级",
        3: "上级单位“330421112299”不存在",
        4: "没有闭合",
        5: "至少需要4个点",
        7: "自相交",
        8: "超出上级“新村”的边界",
        9: "与同级“新村第二网格”（330421112202002，features[6]）重叠",
        10: "超出上级“洋桥村”的边界",
        11: "与同级“新联村”（330421112201）重叠",
    }
    for index, reason in expected.items():
        assert any(t.startswith(f"要素 features[{index}]") and reason in t for t in text), (index, text)
    assert any("features[4]（330421112202001001，未闭合）" in t for t in text)
    assert not any(t.startswith(("要素 features[0]", "要素 features[6]")) for t in text)
    assert not OrgUnit.objects.filter(code__startswith=VILLAGE).exists()
    assert OrgUnit.objects.get(code=county.grid_c.code).name == "洋桥村第一网格"
    assert AuditEntry.objects.count() == audits


def test_duplicate_codes_and_wrong_parent_codes_are_reported(county):
    fc = collection(
        feature(VILLAGE, "新村", "village", box(0, 10, 20, 20)),
        feature(VILLAGE, "新村又一次", "village"),
        feature(GRID1, "网格", "grid", parent_code="330421112201"),
        feature("3304211122", "短码", "village"),
    )
    text = reasons(import_feature_collection(fc, actor=None))
    assert any("features[1]" in t and "重复（另见 features[0]）" in t for t in text)
    assert any("features[2]" in t and "上级编码“330421112201”与本单位编码不符" in t for t in text)
    assert any("features[3]" in t and "应为12位" in t for t in text)


def test_an_existing_code_with_another_level_is_refused(county):
    text = reasons(import_feature_collection(collection(feature(county.grid_a.code, "x", "village")), actor=None))
    assert "应为12位" in text[0]
    assert OrgUnit.objects.get(code=county.grid_a.code).name == "新联村第一网格"


def test_reshaping_a_unit_so_a_child_falls_outside_is_refused(county):
    fc = collection(feature(county.grid_a.code, "", "grid", box(0, 0, 6, 10)))
    text = reasons(import_feature_collection(fc, actor=None))
    assert "下级“二组”" in text[0] and "落在新边界之外" in text[0]


def test_a_grid_cannot_get_compounds_beside_its_micro_grids(county):
    fc = collection(feature(county.grid_a.code + "01", "某小区", "compound"))
    text = reasons(import_feature_collection(fc, actor=None))
    assert "不能同时下设" in text[0]


def test_shrinking_a_parent_together_with_its_children_works_in_any_order(county):
    # grid A narrows to x 0-8; its micro-grids narrow first in the file order only by chance.
    fc = collection(
        feature(county.grid_a.code, "", "grid", box(0, 0, 8, 10)),
        feature(county.mg_a2.code, "", "microgrid", box(5, 0, 8, 10)),
    )
    report = import_feature_collection(fc, actor=None)
    assert report.ok, reasons(report)
    assert OrgUnit.objects.get(code=county.grid_a.code).max_lon == pytest.approx(LON0 + 0.08)


# --- import: scope -------------------------------------------------------------------------------------


def test_town_staff_cannot_import_into_the_other_town(county):
    fc = collection(
        feature("330421102201002", "洋桥村第二网格", "grid", box(30, 0, 40, 10)),
        feature(county.grid_c.code, "改名", "grid"),
    )
    text = reasons(import_feature_collection(fc, actor=county.town_staff))
    assert "上级单位“330421102201”不存在" in text[0]
    assert "未找到该单位" in text[1]
    assert not OrgUnit.objects.filter(code="330421102201002").exists()


def test_a_grid_worker_cannot_import_into_their_grid(county):
    fc = collection(feature(county.grid_a.code, "我的网格", "grid"))
    text = reasons(import_feature_collection(fc, actor=county.worker_a))
    assert "您的岗位无权修改该单位" in text[0]


# --- commands ------------------------------------------------------------------------------------------


def test_the_import_command_writes_a_good_file(county, tmp_path, capsys):
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps(collection(*new_village_features()), ensure_ascii=False), encoding="utf-8")
    call_command("import_units", str(path), "--as", "town")
    assert "新建5个" in capsys.readouterr().out
    assert OrgUnit.objects.filter(code__startswith=VILLAGE).count() == 5


def test_the_import_command_fails_listing_the_problems(county, tmp_path, capsys):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection(feature("330421112299001", "孤儿网格", "grid"))), encoding="utf-8")
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_units", str(path))
    assert "features[0]" in capsys.readouterr().err
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_units", str(tmp_path / "missing.geojson"))
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_units", str(path), "--as", "nobody")


def test_the_export_command_writes_a_subtree(county, tmp_path):
    out = tmp_path / "out.geojson"
    call_command("export_units", str(out), "--unit", county.village.code, "--level", "microgrid")
    fc = json.loads(out.read_text(encoding="utf-8"))
    assert {f["properties"]["name"] for f in fc["features"]} == {"一组", "二组", "三组"}
    with pytest.raises(CommandError, match="未知层级"):
        call_command("export_units", str(out), "--level", "street")
    with pytest.raises(CommandError, match="未找到"):
        call_command("export_units", str(out), "--unit", "999999", "--as", "town")


def test_the_locate_command_prints_the_chain_or_says_outside(county, capsys):
    lat, lon = point_in(7, 3)
    call_command("locate", str(lat), str(lon))
    out = capsys.readouterr().out
    assert out.startswith(f"{county.mg_a2.code} 二组")
    assert "嘉善县（330421） > 天凝镇（330421112）" in out
    with pytest.raises(CommandError, match="该坐标不在任何网格内"):
        call_command("locate", "0", "0")
    with pytest.raises(CommandError, match="经纬度超出范围"):
        call_command("locate", "95", "120")


def test_the_appoint_command_gives_a_post(county, capsys):
    call_command("appoint", "worker_c", county.grid_a.code, "grid_head", "--start", "2025-01-01")
    assert "网格长" in capsys.readouterr().out
    with pytest.raises(CommandError, match="专职网格员只能设在网格"):
        call_command("appoint", "worker_c", county.town.code, "grid_worker")
    with pytest.raises(CommandError):
        call_command("appoint", "worker_c", county.grid_c.code, "grid_head", "--as", "town")


def test_only_a_scope_over_every_county_imports_a_new_county(county):
    fc = collection(feature("330402", "南湖区", "county", box(50, 0, 60, 10)))
    text = reasons(import_feature_collection(fc, actor=county.town_staff))
    assert "只有管辖全部县级单位的管理员可以创建县级单位" in text[0]
    assert not OrgUnit.objects.filter(code="330402").exists()
    assert import_feature_collection(fc, actor=county.admin).ok
    assert OrgUnit.objects.get(code="330402").parent is None
