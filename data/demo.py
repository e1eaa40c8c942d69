"""Seeded, vectorised demo data in the shape of 崆峒区 (Pingliang, Gansu).

The figures follow ../shared/seeds/000_*.txt: 357 grids (东关 114, 中街 110, 西郊 133) tiling the real district
boundary, 355 grid workers, about 546 disputes and 229 hazards (79 % rectified) a year, 低保 6694 households /
14037 persons (896 newly enrolled), 临时救助 480 households / 2,080,800 yuan, 温暖过冬 1550 households / 3789 persons.
The streets differ on purpose (中街 best on most items, 西郊 weakest, 东关 between) and every street has good and
bad months, so the six-item scoreboard has something to rank.

Everything is a pure function of (seed, events, end): each data family draws from its own numpy Generator spawned
from ``default_rng(seed)``, so asking for more events leaves grids, workers, relief and patrols unchanged.
Events are generated and inserted in chunks, fully vectorised, so ten million of them fit in about a minute.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
import shapely.geometry

from data.coords import geometry_to_wgs84

DISTRICT_BOUNDARY_PATH = Path(__file__).resolve().parent / "geo" / "kongtong_620802_gcj02.json"
DISTRICT = "崆峒区"
DISTRICT_CODE = "620802"

DEFAULT_EVENTS_PER_YEAR = 21_000   # ≈ 24,000 over the 13.7-month window
DISPUTES_PER_YEAR = 546            # seed: 排查调处各类矛盾纠纷546件
HAZARDS_PER_YEAR = 229             # seed: 发现安全隐患229条，已整改完成181条
EVENT_CHUNK = 1_000_000            # rows generated and inserted at a time (bounds peak memory)
POOL_SIZE = 160                    # random interior points kept per grid for event and track coordinates
LLOYD_STEPS = 3
TRACK_DAYS = 14                    # GPS tracks are kept for recent patrols only, as platforms do

DEMO_TABLES = ("grids", "workers", "events", "relief", "patrols", "manual_scores", "areas")
VERSIONS = {"grids": "grid_versions", "workers": "worker_versions"}     # grids/workers are views of these

ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class Street:
    """A street (街道) and how it behaves in the data. The behaviour is what the scoreboard ranks."""

    name: str
    code: str
    grids: int
    communities: tuple[str, ...]
    event_intensity: float     # events per household, relative
    register_median_h: float   # median hours from report to registration (share within 24 h follows)
    handling_factor: float     # stretches handling delays: more overdue closures and backlog
    dispute_resolved_p: float  # chance a concluded, non-transferred dispute is mediated successfully
    hazard_rectified_p: float
    satisfied_p: float         # chance an evaluation is 满意 or 基本满意
    evaluated_p: float         # chance a closed event gets evaluated at all
    patrols_per_week: float
    key_visit_p: float         # chance a given key person is visited on a given patrol
    missing_p: float           # chance a data-entry field of a grid is empty
    stale_p: float             # share of grids not updated within 90 days
    other_work: float          # mean hand-entered 其他工作 score
    relief_need: float         # relief caseload per household, relative


# Street codes are the real 统计用区划代码 (shared/realdata/china_divisions_modood/streets_620802_kongtong.csv).
# Communities named in the seeds come first; the others are plausible local names.
STREETS = (
    Street("东关街道", "620802001", 114, ("宝塔", "东郊", "东关", "解放路", "紫荆", "和平", "龙汇"),
           event_intensity=1.00, register_median_h=3.0, handling_factor=1.00, dispute_resolved_p=0.925,
           hazard_rectified_p=0.79, satisfied_p=0.990, evaluated_p=0.86, patrols_per_week=3.8,
           key_visit_p=0.21, missing_p=0.02, stale_p=0.09, other_work=78.5, relief_need=1.0),
    Street("中街街道", "620802002", 110, ("万安门", "广成路", "新民北路", "新民路", "南河道", "东大街", "云龄"),
           event_intensity=1.04, register_median_h=2.6, handling_factor=0.92, dispute_resolved_p=0.935,
           hazard_rectified_p=0.83, satisfied_p=0.994, evaluated_p=0.90, patrols_per_week=4.0,
           key_visit_p=0.23, missing_p=0.01, stale_p=0.06, other_work=80.0, relief_need=0.9),
    Street("西郊街道", "620802003", 133, ("二天门", "三天门", "西苑", "虎山", "西关", "新河湾", "西景园", "泾河"),
           event_intensity=0.95, register_median_h=3.5, handling_factor=1.08, dispute_resolved_p=0.915,
           hazard_rectified_p=0.75, satisfied_p=0.985, evaluated_p=0.82, patrols_per_week=3.6,
           key_visit_p=0.20, missing_p=0.03, stale_p=0.12, other_work=77.5, relief_need=1.2),
)
WEST_TO_EAST = (2, 1, 0)   # 西郊 lies west of 中街, 东关 east of it
N_GRIDS = sum(s.grids for s in STREETS)
COMMUNITIES = tuple((i, c + "社区") for i, s in enumerate(STREETS) for c in s.communities)

# ---- events: categories, subcategories with phrases for descriptions, sources, departments ----------------------
CATEGORIES = ("dispute", "hazard", "public_order", "sanitation", "resident_service", "other")
DISPUTE, HAZARD = 0, 1
CATEGORY_SHARE = np.array([DISPUTES_PER_YEAR, HAZARDS_PER_YEAR, 0.08 * DEFAULT_EVENTS_PER_YEAR,
                           0.37 * DEFAULT_EVENTS_PER_YEAR, 0.40 * DEFAULT_EVENTS_PER_YEAR, 0.0])
CATEGORY_SHARE[-1] = DEFAULT_EVENTS_PER_YEAR - CATEGORY_SHARE.sum()
CATEGORY_SHARE /= DEFAULT_EVENTS_PER_YEAR
HANDLING_MEDIAN_H = np.array([30.0, 60.0, 6.0, 12.0, 20.0, 24.0])
DEADLINE_DAYS = np.array([15, 7, 3, 3, 5, 5])

SUBCATEGORIES = {   # category → (subcategory, weight, phrases used in descriptions)
    "dispute": [
        ("邻里纠纷", 30, ("楼上漏水引发邻里纠纷", "邻居装修噪音扰民发生争执", "公共楼道堆放杂物引发邻里矛盾")),
        ("物业纠纷", 22, ("业主与物业因物业费收缴发生纠纷", "小区电梯维修费用分摊产生争议")),
        ("婚姻家庭", 18, ("夫妻因家庭琐事发生争吵", "子女赡养老人问题引发家庭矛盾")),
        ("劳资纠纷", 12, ("务工人员反映被拖欠工资", "装修工人讨要劳务费")),
        ("停车纠纷", 18, ("车辆占用他人车位引发纠纷", "小区停车位分配产生争议")),
    ],
    "hazard": [
        ("消防隐患", 45, ("楼道堆放杂物堵塞消防通道", "电动车在楼道内充电", "小区消防栓无水")),
        ("房屋安全", 20, ("老旧楼房外墙墙皮脱落", "房屋墙体出现裂缝")),
        ("交通安全", 15, ("路口信号灯损坏", "道路井盖缺失")),
        ("燃气安全", 20, ("楼道内有燃气异味", "燃气管道老化锈蚀")),
    ],
    "public_order": [
        ("噪音扰民", 30, ("夜间广场舞音响声音过大", "商铺音响外放扰民")),
        ("可疑人员", 15, ("小区内有陌生人员挨户推销", "发现可疑人员在车辆旁徘徊")),
        ("盗窃线索", 20, ("居民反映电动车电瓶被盗", "地下室储物间被撬")),
        ("酗酒滋事", 10, ("饭馆门口有人酒后滋事",)),
        ("电信诈骗", 25, ("居民接到冒充客服的诈骗电话", "老人疑似被推销保健品诱骗")),
    ],
    "sanitation": [
        ("垃圾清运", 35, ("垃圾箱满溢未及时清运", "建筑垃圾随意倾倒")),
        ("乱堆乱放", 20, ("楼道内堆放杂物", "小区空地堆放废旧家具")),
        ("占道经营", 15, ("商贩占道经营影响通行",)),
        ("污水外溢", 15, ("下水道堵塞污水外溢", "化粪池满溢")),
        ("小广告", 15, ("单元门上张贴小广告",)),
    ],
    "resident_service": [
        ("政策咨询", 25, ("居民咨询城乡居民医保缴费", "咨询低保申请条件")),
        ("帮办代办", 20, ("老人申请代办高龄补贴", "代办居住证")),
        ("水电暖维修", 25, ("暖气不热请求协调维修", "楼道照明灯损坏", "自来水停水请求协调")),
        ("养老服务", 15, ("独居老人申请助餐服务", "高龄老人需要上门探访")),
        ("就业求助", 15, ("失业人员求助就业信息",)),
    ],
    "other": [
        ("其他", 100, ("流浪犬伤人隐患", "树木枝叶遮挡路灯", "居民建议增设健身器材")),
    ],
}
SOURCES = ("patrol", "resident", "hotline", "sensor", "other")
SOURCE_P = np.array([        # rows follow CATEGORIES
    [0.45, 0.35, 0.15, 0.00, 0.05],
    [0.70, 0.15, 0.08, 0.05, 0.02],
    [0.40, 0.25, 0.20, 0.12, 0.03],
    [0.50, 0.25, 0.12, 0.10, 0.03],
    [0.25, 0.45, 0.25, 0.00, 0.05],
    [0.40, 0.30, 0.15, 0.05, 0.10],
])
WORKER_LOGS_P = np.array([0.97, 0.35, 0.10, 0.05, 0.20])   # by source: the grid worker is the event's worker_id
TIERS = ("general", "difficult", "major")
TIER_P = np.array([[0.80, 0.17, 0.03]])
TIER_HANDLING = np.array([1.0, 4.0, 8.0])
TIER_TRANSFERRED_P = np.array([0.02, 0.08, 0.40])
TIER_RESOLVED_FACTOR = np.array([1.01, 0.96, 0.85])
TIER_ON_SITE_P = np.array([0.995, 0.85, 0.15])
OUTCOMES = ("resolved", "unresolved", "transferred", "rectified", "not_rectified")
DEPARTMENTS = ("社区居委会", "街道综治中心", "区综治中心", "区住建局", "区市场监管局", "区城管局",
               "区应急管理局", "公安派出所", "区消防救援大队", "区民政局", "区人社局", "街道便民服务中心")
DEPARTMENT_P = np.array([    # rows: the six categories, then disputes by tier (general, difficult, major)
    [0.70, 0.25, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0.10, 0.05, 0, 0.25, 0.10, 0, 0.30, 0, 0.20, 0, 0, 0],
    [0.15, 0.05, 0, 0, 0, 0, 0, 0.80, 0, 0, 0, 0],
    [0.45, 0.05, 0, 0, 0.05, 0.45, 0, 0, 0, 0, 0, 0],
    [0.45, 0, 0, 0.10, 0, 0, 0, 0, 0, 0.15, 0.10, 0.20],
    [0.70, 0.10, 0, 0, 0, 0.20, 0, 0, 0, 0, 0, 0],
    [0.90, 0.10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0.20, 0.75, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0.30, 0.70, 0, 0, 0, 0, 0, 0, 0, 0, 0],
])
WEEKDAY_EVENT_FACTOR = np.array([1.1, 1.05, 1.05, 1.05, 1.0, 0.65, 0.55])   # Monday first
WEEKDAY_PATROL_FACTOR = np.array([1.25, 1.25, 1.25, 1.25, 1.2, 0.5, 0.3])

# ---- people ------------------------------------------------------------------------------------------------------
SURNAMES = tuple("王李张刘陈杨马赵黄周吴徐孙胡朱高林何郭罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
                 "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤"
                 "尹黎易常武乔贺赖龚文")
GIVEN = (tuple("丽芳娟霞红敏静燕艳玲慧萍琴雪梅婷洁英莉娜倩蓉瑞佳欣悦晶兰桂秀琳颖月凤春媛"),   # female
         tuple("伟强军勇磊涛斌杰鹏辉刚峰明平超亮浩宇鑫龙东文建国海波林志学忠荣新永生庆彬"))   # male
EDUCATION = ("初中", "高中", "大专", "本科")
EDUCATION_P = np.array([0.06, 0.56, 0.27, 0.11])   # seed (中街): 初中 7.4 %, 高中 70.4 %, 大专 18.5 %, 本科 3.7 %
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])   # GB 11643
ID_CHECK = np.array(list("10X98765432"))


# ===================================================================================================================
# Geometry: the district, its grid tiling, interior points
# ===================================================================================================================

@functools.lru_cache(maxsize=1)
def district_polygon_wgs84():
    """The 崆峒区 boundary as a WGS-84 shapely Polygon (the shipped file is DataV GCJ-02)."""
    features = json.loads(DISTRICT_BOUNDARY_PATH.read_text(encoding="utf-8"))
    gcj = shapely.geometry.shape(features[0]["geometry"])
    wgs = geometry_to_wgs84(gcj, "gcj02")
    # The file's two parts share an edge, which makes the MultiPolygon invalid; their union is one valid polygon.
    polygon = shapely.union_all(shapely.get_parts(wgs))
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def _random_points(rng: np.random.Generator, polygon, n: int) -> np.ndarray:
    """n uniform random points strictly inside polygon, by rejection sampling from its bounding box."""
    minx, miny, maxx, maxy = polygon.bounds
    fill = max(polygon.area / ((maxx - minx) * (maxy - miny)), 0.05)
    batches, found = [], 0
    while found < n:
        k = int((n - found) / fill * 1.3) + 16
        x, y = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(polygon, x, y)
        batches.append(np.column_stack([x[inside], y[inside]]))
        found += int(inside.sum())
    return np.concatenate(batches)[:n]


def _voronoi_cells(sites: np.ndarray, extent) -> np.ndarray:
    """Voronoi cells of the sites, in site order, reaching beyond extent's envelope."""
    frame = shapely.box(*extent.bounds).buffer(1.0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=frame, ordered=True))
    assert len(cells) == len(sites)
    return cells


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Drop the stray lines/points an intersection can leave, keeping (Multi)Polygons."""
    out = geoms.copy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):   # GeometryCollection
        parts = shapely.get_parts(geoms[i])
        out[i] = shapely.union_all(parts[shapely.get_type_id(parts) == 3])
    return out


def _tiling(rng: np.random.Generator) -> np.ndarray:
    """N_GRIDS cells tiling the district: Lloyd-relaxed Voronoi cells clipped to the boundary.

    Relaxation runs in a plane where a degree of longitude is shrunk by cos(latitude), so cells come out
    roughly equal in area and round on the ground, not in degrees.
    """
    district = district_polygon_wgs84()
    scale = np.array([np.cos(np.radians(district.centroid.y)), 1.0])
    plane = shapely.transform(district, lambda xy: xy * scale)
    shapely.prepare(plane)
    sites = _random_points(rng, plane, N_GRIDS)
    for _ in range(LLOYD_STEPS):
        cells = _polygonal(shapely.intersection(_voronoi_cells(sites, plane), plane))
        centre = shapely.get_coordinates(shapely.centroid(cells))
        inside = shapely.contains_xy(plane, centre[:, 0], centre[:, 1])
        sites = np.where(inside[:, None], centre, shapely.get_coordinates(shapely.point_on_surface(cells)))
    # Clip the final cells against the original boundary so the tiling covers it exactly.
    cells = shapely.transform(_voronoi_cells(sites, plane), lambda xy: xy / scale)
    return _merge_fragments(_polygonal(shapely.intersection(cells, district)))


def _merge_fragments(cells: np.ndarray) -> np.ndarray:
    """Give each stray piece of a cell to the neighbour it shares the longest edge with.

    A cell clipped where the boundary is concave can fall into pieces; a grid should be one piece of land.
    """
    cells = cells.copy()
    for i in np.flatnonzero(shapely.get_type_id(cells) == 6):   # MultiPolygon
        parts = sorted(shapely.get_parts(cells[i]), key=lambda g: -g.area)
        cells[i] = parts[0]
        for part in parts[1:]:
            shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(cells)))
            shared[i] = 0
            j = int(np.argmax(shared))
            cells[j] = shapely.union(cells[j], part)
    return cells


def _adjacency(cells: np.ndarray) -> list[set[int]]:
    """Neighbours of each cell: cells sharing an edge, not just a corner."""
    a, b = shapely.STRtree(cells).query(cells, predicate="intersects")
    a, b = a[a < b], b[a < b]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[a]), shapely.boundary(cells[b])))
    neighbours = [set() for _ in cells]
    for i, j in zip(a[shared > 0].tolist(), b[shared > 0].tolist()):
        neighbours[i].add(j)
        neighbours[j].add(i)
    return neighbours


def _connected(cells: set[int], neighbours: list[set[int]]) -> bool:
    if not cells:
        return True
    start = next(iter(cells))
    seen, stack = {start}, [start]
    while stack:
        for n in neighbours[stack.pop()]:
            if n in cells and n not in seen:
                seen.add(n)
                stack.append(n)
    return len(seen) == len(cells)


def _grow(key: np.ndarray, members: np.ndarray, neighbours: list[set[int]], size: int) -> np.ndarray:
    """`size` members forming one connected piece, leaving the other members connected as well.

    Start at the member with the lowest key and keep adding the frontier member with the lowest key whose
    removal does not cut the rest in two. With key = longitude this carves a west band off the district and
    leaves the east in one piece for the next band.
    """
    rest = set(members.tolist())
    chosen: list[int] = []
    frontier: set[int] = set()
    while len(chosen) < size:
        if not frontier:   # only when members were not connected to begin with
            frontier = {min(rest, key=key.__getitem__)}
        candidates = sorted(frontier, key=key.__getitem__)
        cell = next((c for c in candidates if _connected(rest - {c}, neighbours)), candidates[0])
        chosen.append(cell)
        rest.discard(cell)
        frontier.discard(cell)
        frontier |= neighbours[cell] & rest
    return np.array(chosen)


def _blocks(xy: np.ndarray, members: np.ndarray, neighbours: list[set[int]], parts: int) -> list[np.ndarray]:
    """Split members into `parts` compact, contiguous blocks of near-equal size (recursive cuts across the
    longer side, each cut grown as a connected piece)."""
    if parts == 1:
        return [members]
    axis = int(np.argmax(np.ptp(xy[members], axis=0)))
    left = parts // 2
    first = _grow(xy[:, axis], members, neighbours, int(round(len(members) * left / parts)))
    rest = np.setdiff1d(members, first)
    return _blocks(xy, first, neighbours, left) + _blocks(xy, rest, neighbours, parts - left)


class Layout(NamedTuple):
    """Grids in storage order with their place in the hierarchy and geometry (a function of the seed only)."""

    polygons: np.ndarray    # shapely Polygons, WGS-84
    street: np.ndarray      # index into STREETS
    community: np.ndarray   # index into COMMUNITIES
    grid_ids: list[str]
    grid_names: list[str]
    points: np.ndarray      # (G, 2) a point inside each grid (representative point)
    pool: np.ndarray        # (G, POOL_SIZE, 2) random points inside each grid


@functools.lru_cache(maxsize=4)
def _layout(seed: int) -> Layout:
    """Tile the district and arrange grids: streets as west-to-east bands, communities as compact blocks."""
    rng = _streams(seed)["geometry"]
    cells = _tiling(rng)
    points = shapely.get_coordinates(shapely.point_on_surface(cells))
    local = points * [np.cos(np.radians(points[:, 1].mean())), 1.0]
    neighbours = _adjacency(cells)
    street = np.empty(N_GRIDS, int)
    community = np.empty(N_GRIDS, int)
    rank = np.empty(N_GRIDS, int)
    remaining = np.arange(N_GRIDS)
    for s in WEST_TO_EAST:
        band = _grow(points[:, 0], remaining, neighbours, STREETS[s].grids)
        remaining = np.setdiff1d(remaining, band)
        street[band] = s
        first = [i for i, (si, _) in enumerate(COMMUNITIES) if si == s][0]
        for k, block in enumerate(_blocks(local, band, neighbours, len(STREETS[s].communities))):
            community[block] = first + k
            rank[block] = np.argsort(np.argsort(-points[block, 1], kind="stable"))   # number north to south
    order = np.lexsort((rank, community, street))   # storage order: street code, community, position
    polygons, street, community, points = cells[order], street[order], community[order], points[order]
    grid_ids, grid_names = _grid_labels(street, community)
    pool = np.stack([_random_points(rng, p, POOL_SIZE) for p in polygons])
    for a in (polygons, street, community, points, pool):
        a.setflags(write=False)   # cached and shared between calls
    return Layout(polygons, street, community, grid_ids, grid_names, points, pool)


def _grid_labels(street: np.ndarray, community: np.ndarray) -> tuple[list[str], list[str]]:
    """grid_id = street code + running number; grid_name = community + number within the community."""
    ids, names, seen_street, seen_comm = [], [], {}, {}
    for s, c in zip(street.tolist(), community.tolist()):
        seen_street[s] = seen_street.get(s, 0) + 1
        seen_comm[c] = seen_comm.get(c, 0) + 1
        ids.append(f"{STREETS[s].code}-{seen_street[s]:03d}")
        names.append(f"{COMMUNITIES[c][1]}第{seen_comm[c]}网格")
    return ids, names


# ===================================================================================================================
# Randomness, calendar, small vectorised helpers
# ===================================================================================================================

def _streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent Generator per data family, so changing one family's size leaves the others unchanged."""
    names = ("geometry", "grids", "workers", "climate", "events", "relief", "patrols", "scores", "history")
    return dict(zip(names, np.random.default_rng(seed).spawn(len(names))))


class Calendar(NamedTuple):
    start: date
    end: date
    day_s: np.ndarray      # (D,) seconds since epoch at local midnight
    month: np.ndarray      # (D,) index of the month in `months`
    cal_month: np.ndarray  # (D,) 1..12
    weekday: np.ndarray    # (D,) 0 = Monday
    ymd: np.ndarray        # (D,) yyyymmdd
    months: list[str]      # 'YYYY-MM'
    cutoff: int            # seconds since epoch at the midnight after `end`: data are as of then


def _calendar(end: date) -> Calendar:
    """13 full months before end's month plus the current partial month, through end."""
    first = end.year * 12 + end.month - 1 - 13
    start = date(first // 12, first % 12 + 1, 1)
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    ym = days.astype("datetime64[M]").astype(np.int64)
    month = (ym - ym[0]).astype(np.int64)
    cal_month = ym % 12 + 1
    ymd = (ym // 12 + 1970) * 10000 + cal_month * 100 + (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    months = [str(m) for m in np.arange(ym[0], ym[-1] + 1).astype("datetime64[M]")]
    day_s = days.astype("datetime64[s]").astype(np.int64)
    weekday = (days.astype(np.int64) + 3) % 7
    return Calendar(start, end, day_s, month, cal_month, weekday, ymd, months, int(day_s[-1]) + 86400)


def _climate(rng: np.random.Generator, months: int) -> np.ndarray:
    """A street's good and bad months: AR(1) scores (3 × months), mean 0, sd 1, shared by every family."""
    z = np.empty((len(STREETS), months))
    z[:, 0] = rng.standard_normal(len(STREETS))
    for m in range(1, months):
        z[:, m] = 0.5 * z[:, m - 1] + np.sqrt(0.75) * rng.standard_normal(len(STREETS))
    # Centred per street: the street profile sets the level, the climate only moves months around it.
    return z - z.mean(axis=1, keepdims=True)


def _draw(rng: np.random.Generator, probs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each row, an index drawn from the categorical distribution probs[group[row]]."""
    cdf = np.cumsum(probs, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = rng.random(len(group))
    out = np.zeros(len(group), dtype=np.int16)
    for g in range(len(probs)):   # one pass per distribution, never per row
        rows = np.flatnonzero(group == g)
        if rows.size:
            out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return out


def _lognormal_s(rng: np.random.Generator, median_h, sigma: float, n: int) -> np.ndarray:
    """Delays in whole seconds, log-normal around a median given in hours (scalar or per row)."""
    return (np.asarray(median_h) * 3600.0 * np.exp(sigma * rng.standard_normal(n))).astype(np.int64) + 1


def _timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Naive local timestamps from seconds since epoch; rows not valid become null."""
    mask = None if valid is None else ~valid
    return pa.array(seconds.astype("datetime64[s]"), mask=mask)


def _dictionary(indices: np.ndarray, values, valid: np.ndarray | None = None) -> pa.DictionaryArray:
    """A string column as indices into a small list of values (cheap to build, DuckDB stores plain VARCHAR)."""
    mask = None if valid is None else ~valid
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32), mask=mask), dictionary)


def _digits_text(numbers: np.ndarray, prefix: str = "", width: int = 0) -> pa.Array:
    """Integers as text with a prefix, zero-padded to width."""
    text = pc.cast(pa.array(numbers.astype(np.int64)), pa.string())
    if width:
        text = pc.utf8_lpad(text, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "") if prefix else text


def _given_names(gender: int) -> list[str]:
    chars = GIVEN[gender]
    return list(chars) + [a + b for a in chars for b in chars]


@functools.lru_cache(maxsize=1)
def _name_dictionary() -> pa.Array:
    """Every fake personal name, ordered surname × gender × given name (one or two characters)."""
    return pa.array([surname + given for surname in SURNAMES for gender in (0, 1) for given in _given_names(gender)],
                    pa.string())


def _name_indices(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Indices into _name_dictionary(): common surnames more often, a quarter with one given character."""
    n = len(female)
    k = np.array([len(GIVEN[0]), len(GIVEN[1])])
    per_gender = k + k * k
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
    surname = rng.choice(len(SURNAMES), size=n, p=weights / weights.sum())
    gender = (~female).astype(np.int64)
    single = rng.random(n) < 0.25
    u = rng.random(n)
    given = np.where(single, u * k[gender], k[gender] + u * k[gender] ** 2).astype(np.int64)
    return surname * per_gender.sum() + np.where(gender == 1, per_gender[0], 0) + given


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    """Fake mobile numbers 1[3-9]xxxxxxxxx."""
    second = rng.choice(np.arange(3, 10), size=n, p=[0.3, 0.05, 0.25, 0.05, 0.1, 0.2, 0.05])
    return _digits_text(10_000_000_000 + second * 1_000_000_000 + rng.integers(0, 1_000_000_000, n))


def _id_numbers(rng: np.random.Generator, birth_day: np.ndarray, female: np.ndarray) -> pa.Array:
    """Unique 18-character ID numbers: region 620802, birth date, sequence (odd = male), GB 11643 check."""
    birth = birth_day.astype("datetime64[D]")
    ym = birth.astype("datetime64[M]").astype(np.int64)
    ymd = (ym // 12 + 1970) * 10000 + (ym % 12 + 1) * 100 + (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    body = np.zeros(len(birth), dtype=np.int64)
    todo = np.arange(len(birth))
    while todo.size:   # redraw the sequence of the few numbers that collide
        seq = rng.integers(0, 500, todo.size) * 2 + (~female[todo]).astype(np.int64)
        body[todo] = (int(DISTRICT_CODE) * 100_000_000 + ymd[todo]) * 1000 + seq
        _, first = np.unique(body, return_index=True)
        dup = np.ones(len(body), bool)
        dup[first] = False
        todo = np.flatnonzero(dup)
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return pc.binary_join_element_wise(_digits_text(body), pa.array(check.tolist(), pa.string()), "")


# ===================================================================================================================
# Grids, workers, areas
# ===================================================================================================================

class Grids(NamedTuple):
    layout: Layout
    households: np.ndarray
    key_persons: np.ndarray
    diligence: np.ndarray     # the grid worker's own pace (patrol rate, key-person visits)
    event_weight: np.ndarray  # relative number of events reported in the grid

    @property
    def street(self) -> np.ndarray:
        return self.layout.street


def _grid_attributes(rng: np.random.Generator, layout: Layout) -> Grids:
    n = N_GRIDS
    households = rng.integers(200, 401, n)
    key_persons = np.minimum(rng.poisson(2.4, n), 8)
    diligence = np.exp(0.25 * rng.standard_normal(n))
    # Centre each street's diligence on 1 so the street profile, not the luck of the draw, sets its level.
    log_mean = np.bincount(layout.street, np.log(diligence)) / np.bincount(layout.street)
    diligence = diligence / np.exp(log_mean[layout.street])
    intensity = np.array([s.event_intensity for s in STREETS])[layout.street]
    event_weight = households * intensity * np.exp(0.3 * rng.standard_normal(n))
    return Grids(layout, households, key_persons, diligence, event_weight)


def _grids_table(rng: np.random.Generator, grids: Grids, cal: Calendar, import_id: int) -> pa.Table:
    lay = grids.layout
    n = N_GRIDS
    street = lay.street
    missing_p = np.array([s.missing_p for s in STREETS])[street]
    stale = rng.random(n) < np.array([s.stale_p for s in STREETS])[street]
    age_days = np.where(stale, rng.uniform(91, 420, n), rng.uniform(0.05, 89, n))
    updated = cal.cutoff - (age_days * 86400).astype(np.int64)
    has = {f: rng.random(n) >= missing_p * w for f, w in
           (("grid_name", 1.0), ("population", 1.0), ("lonlat", 1.0), ("updated_at", 0.5))}
    population = np.rint(grids.households * rng.uniform(2.6, 3.1, n)).astype(np.int64)
    return pa.table({
        "grid_id": pa.array(lay.grid_ids, pa.string()),
        "grid_name": pa.array(lay.grid_names, pa.string(), mask=~has["grid_name"]),
        "street": _dictionary(street, [s.name for s in STREETS]),
        "community": _dictionary(lay.community, [c for _, c in COMMUNITIES]),
        "district": pa.array([DISTRICT] * n, pa.string()),
        "households": pa.array(grids.households, pa.int32()),
        "population": pa.array(population, pa.int32(), mask=~has["population"]),
        "key_persons": pa.array(grids.key_persons, pa.int32()),
        "lon": pa.array(lay.points[:, 0], mask=~has["lonlat"]),
        "lat": pa.array(lay.points[:, 1], mask=~has["lonlat"]),
        "boundary": pa.array(shapely.to_geojson(lay.polygons).tolist(), pa.string()),
        "updated_at": _timestamps(updated, has["updated_at"]),
        "import_id": pa.array(np.full(n, import_id, np.int32)),
    })


class Staffing(NamedTuple):
    """Who works each grid: `prior` until day `handover`, then `current` (-1 = nobody)."""

    current: np.ndarray
    prior: np.ndarray
    handover: np.ndarray
    table: pa.Table
    left_on: np.ndarray | None = None    # per row of `table`: the day a former worker left (NaT: still serving)

    def on(self, grid: np.ndarray, day: np.ndarray) -> np.ndarray:
        return np.where(day < self.handover[grid], self.prior[grid], self.current[grid])


def _workers(rng: np.random.Generator, grids: Grids, cal: Calendar, import_id: int) -> Staffing:
    """355 active workers on distinct grids (two grids vacant since a worker left), 20 former workers.

    Turnover is real in the seeds (离职率较高): 14 grids changed hands inside the window, 4 before it.
    """
    street, n_days = grids.street, len(cal.day_s)
    vacant = np.array([rng.choice(np.flatnonzero(street == s)) for s in (2, 0)])   # 西郊, 东关
    others = np.setdiff1d(np.arange(N_GRIDS), vacant)
    changed = rng.choice(others, 14, replace=False)
    earlier = rng.choice(np.setdiff1d(others, changed), 4, replace=False)

    staffed = np.setdiff1d(np.arange(N_GRIDS), vacant)
    handover = np.zeros(N_GRIDS, np.int64)
    handover[vacant] = rng.integers(60, n_days - 60, 2)
    handover[changed] = rng.integers(20, n_days - 20, 14)
    start = np.datetime64(cal.start)
    day0 = np.datetime64("2017-03-01")   # 网格化服务管理 began in 2017
    hired = day0 + rng.integers(0, (start - day0).astype(int) - 60, N_GRIDS)
    hired[changed] = start + handover[changed]
    hired[earlier] = np.maximum(hired[earlier], day0 + 400)   # someone held the grid before them

    former_grid = np.concatenate([vacant, changed, earlier])
    left = np.concatenate([start + handover[vacant], start + handover[changed], hired[earlier]])
    former_hired = np.maximum(left - rng.integers(300, 2000, len(former_grid)), day0)

    worker_grid = np.concatenate([staffed, former_grid])
    hired_on = np.concatenate([hired[staffed], former_hired])
    active = np.arange(len(worker_grid)) < len(staffed)
    by_hire = np.lexsort((worker_grid, hired_on))   # ids follow hiring order, as a personnel office numbers them
    rank = np.empty_like(by_hire)
    rank[by_hire] = np.arange(len(by_hire))

    current = np.full(N_GRIDS, -1)
    current[staffed] = rank[:len(staffed)]
    prior = np.full(N_GRIDS, -1)
    prior[former_grid[:16]] = rank[len(staffed):len(staffed) + 16]
    table = _workers_table(rng, worker_grid[by_hire], hired_on[by_hire], active[by_hire], grids, import_id)
    left_on = np.concatenate([np.full(len(staffed), np.datetime64("NaT"), "datetime64[D]"),
                              left.astype("datetime64[D]")])
    return Staffing(current, prior, handover, table, left_on[by_hire])


def _workers_table(rng, worker_grid, hired_on, active, grids: Grids, import_id: int) -> pa.Table:
    n = len(worker_grid)
    female = rng.random(n) < 0.95   # seed: 中街 107 of 108 grid workers are women
    birth_year = np.clip(np.rint(rng.normal(1983, 6.5, n)), 1970, 2000).astype(np.int32)
    return pa.table({
        "worker_id": _digits_text(np.arange(1, n + 1), "W", 5),
        "name": _dictionary(_name_indices(rng, female), _name_dictionary()),
        "grid_id": pa.array([grids.layout.grid_ids[g] for g in worker_grid], pa.string()),
        "gender": pa.array(np.where(female, "女", "男").tolist(), pa.string()),
        "birth_year": pa.array(birth_year),
        "education": _dictionary(rng.choice(len(EDUCATION), n, p=EDUCATION_P), EDUCATION),
        "hired_on": pa.array(hired_on.astype("datetime64[D]")),
        "active": pa.array(active),
        "phone": _phones(rng, n),
        "import_id": pa.array(np.full(n, import_id, np.int32)),
    })


# ---- history of grids and workers (type-2 versions, sql/migrations/002_grid_worker_history.sql) -----------------

def _grid_versions(rng: np.random.Generator, current: pa.Table, cal: Calendar) -> pd.DataFrame:
    """Each grid dated by 更新时间 was surveyed before (复核) every 2–5 months, back to before the window; earlier
    surveys counted a few more or fewer households, so a past month divides by the households of its time and
    judges 更新及时率 by the survey known then. The newest version is `current`; a grid without 更新时间 has one."""
    df = current.to_pandas()
    n, k = len(df), 6
    upd = df["updated_at"].to_numpy("datetime64[s]").astype(np.int64)
    dated = df["updated_at"].notna().to_numpy()
    gaps = rng.uniform(60, 150, (n, k)) * 86400
    times = upd[:, None] - np.cumsum(gaps, axis=1).astype(np.int64)
    drift = np.cumprod(1 + rng.normal(-0.008, 0.02, (n, k)), axis=1)   # going back: slightly fewer households
    # keep the surveys back to the first one before the window (the version in effect when the window starts)
    before_start = times < int(cal.day_s[0])
    keep = dated[:, None] & (np.cumsum(before_start, axis=1) - before_start < 1)
    rows, steps = np.nonzero(keep)
    old = df.iloc[rows].reset_index(drop=True)
    ratio = drift[rows, steps]
    old["households"] = np.clip(np.rint(old["households"].to_numpy() * ratio), 150, 450).astype(np.int32)
    old["population"] = (old["population"] * ratio).round().astype("Int32")
    old["updated_at"] = times[rows, steps].astype("datetime64[s]")
    old["valid_from"] = old["updated_at"]
    df["valid_from"] = np.where(dated, upd, np.datetime64("1900-01-01", "s").astype(np.int64)).astype("datetime64[s]")
    return pd.concat([df, old], ignore_index=True)


def _worker_versions(staffing: Staffing) -> pd.DataFrame:
    """A former worker served (active) from hiring until the day they left, then is inactive in the same grid."""
    df = staffing.table.to_pandas()
    df["valid_from"] = pd.to_datetime(df["hired_on"]).astype("datetime64[s]")
    left = staffing.left_on
    gone = ~np.isnat(left) if left is not None else np.zeros(len(df), bool)
    serving = df[gone].copy()
    serving["active"] = True
    df.loc[gone, "valid_from"] = left[gone].astype("datetime64[s]")
    return pd.concat([serving, df], ignore_index=True)


def _insert_versions(con, table: str, frame: pd.DataFrame) -> None:
    """Insert versions and chain them: valid_to is the next version's valid_from."""
    con.register("_demo_versions", frame)
    try:
        con.execute(f"insert into {table} by name select * from _demo_versions")
    finally:
        con.unregister("_demo_versions")
    key = "grid_id" if table == "grid_versions" else "worker_id"
    con.execute(f"update {table} h set valid_to = n.next_from from (select {key}, valid_from, "
                f"lead(valid_from) over (partition by {key} order by valid_from) as next_from from {table}) n "
                f"where h.{key} = n.{key} and h.valid_from = n.valid_from and n.next_from is not null")


def _areas_table(layout: Layout, import_id: int) -> pa.Table:
    """District, street and community boundaries (unions of their grids), WGS-84 GeoJSON."""
    rows = [("district", DISTRICT, DISTRICT_CODE, district_polygon_wgs84())]
    for s, street in enumerate(STREETS):
        rows.append(("street", street.name, street.code, shapely.union_all(layout.polygons[layout.street == s])))
    for c, (_, name) in enumerate(COMMUNITIES):
        rows.append(("community", name, None, shapely.union_all(layout.polygons[layout.community == c])))
    level, name, code, geom = zip(*rows)
    return pa.table({
        "level": pa.array(level, pa.string()),
        "name": pa.array(name, pa.string()),
        "code": pa.array(code, pa.string()),
        "boundary": pa.array(shapely.to_geojson(np.array(geom, dtype=object)).tolist(), pa.string()),
        "import_id": pa.array(np.full(len(rows), import_id, np.int32)),
    })


# ===================================================================================================================
# Events
# ===================================================================================================================

class EventContext(NamedTuple):
    grids: Grids
    staffing: Staffing
    cal: Calendar
    climate: np.ndarray
    import_id: int


class Skeleton(NamedTuple):
    """Where and when each event was reported, in reporting order, with its number within the day."""

    day: np.ndarray
    street: np.ndarray
    grid: np.ndarray
    reported: np.ndarray
    event_id: np.ndarray   # yyyymmdd × 10^k + number within the day (k ≥ 5 digits)


def default_event_count(end: date) -> int:
    """The realistic event count for a window ending on `end` (DEFAULT_EVENTS_PER_YEAR, pro rata)."""
    cal = _calendar(end)
    return int(round(DEFAULT_EVENTS_PER_YEAR * len(cal.day_s) / 365.25))


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight: mostly office hours, peaking mid-morning and mid-afternoon; some evenings."""
    u = rng.random(n)
    hours = np.where(u < 0.4, rng.normal(10.0, 1.3, n),
                     np.where(u < 0.8, rng.normal(15.3, 1.3, n), rng.uniform(7.0, 22.5, n)))
    return np.clip(hours * 3600, 0, 86399).astype(np.int64)


def _skeleton(rng: np.random.Generator, n: int, ctx: EventContext) -> Skeleton:
    """Spread n events over days and streets (weekday rhythm, each street's good and bad months), then grids."""
    cal, grids = ctx.cal, ctx.grids
    street_weight = np.bincount(grids.street, weights=grids.event_weight, minlength=len(STREETS))
    weight = (WEEKDAY_EVENT_FACTOR[cal.weekday][:, None] * street_weight[None, :]
              * np.exp(0.06 * ctx.climate[:, cal.month].T))
    counts = rng.multinomial(n, (weight / weight.sum()).ravel())
    cell = np.repeat(np.arange(counts.size, dtype=np.int32), counts)   # day-major
    day, street = cell // len(STREETS), (cell % len(STREETS)).astype(np.int8)
    del cell
    reported = cal.day_s[day] + _time_of_day(rng, n)
    order = np.argsort(reported, kind="stable")
    day, street, reported = day[order], street[order], reported[order]
    del order
    grid = np.empty(n, np.int16)
    for s in range(len(STREETS)):
        rows = np.flatnonzero(street == s)
        members = np.flatnonzero(grids.street == s)
        p = grids.event_weight[members] / grids.event_weight[members].sum()
        grid[rows] = rng.choice(members, size=rows.size, p=p)
    per_day = np.bincount(day, minlength=len(cal.day_s))
    first_of_day = np.cumsum(per_day) - per_day
    width = max(5, len(str(int(per_day.max(initial=0)))))
    seq = np.arange(n, dtype=np.int64) - first_of_day[day] + 1
    event_id = cal.ymd[day] * 10 ** width + seq
    return Skeleton(day.astype(np.int32), street, grid, reported, event_id)


def _category_probs(cal_month: np.ndarray) -> np.ndarray:
    """Category probabilities per calendar month: hazards peak in winter (heating, gas), sanitation in summer.

    The dispute share and the yearly hazard share stay at the seed's rates.
    """
    phase = np.cos(2 * np.pi * (np.arange(1, 13) - 1) / 12)   # +1 in January, -1 in July
    p = np.tile(CATEGORY_SHARE, (12, 1))
    p[:, HAZARD] *= 1 + 0.35 * phase
    p[:, 3] *= 1 - 0.15 * phase
    rest = 1 - p[:, :2].sum(axis=1, keepdims=True)
    p[:, 2:] *= rest / p[:, 2:].sum(axis=1, keepdims=True)
    return p


@functools.lru_cache(maxsize=1)
def _subcategory_tables():
    """Flattened subcategories: per-category probability rows, names, and phrase offsets for descriptions."""
    width = max(len(v) for v in SUBCATEGORIES.values())
    probs = np.zeros((len(CATEGORIES), width))
    names, offsets, counts, phrases = [], [], [], []
    for c, cat in enumerate(CATEGORIES):
        for k, (name, weight, texts) in enumerate(SUBCATEGORIES[cat]):
            probs[c, k] = weight
            names.append(name)
            offsets.append(len(phrases))
            counts.append(len(texts))
            phrases += texts
    first = np.cumsum([0] + [len(SUBCATEGORIES[c]) for c in CATEGORIES])[:-1]
    return probs, names, first, np.array(offsets), np.array(counts), phrases


BUILDINGS = 36


@functools.lru_cache(maxsize=1)
def _descriptions() -> list[str]:
    """Every description as community × phrase × building: a dictionary indexed per event."""
    phrases = _subcategory_tables()[5]
    return [f"{community}{b}号楼附近，{phrase}"
            for _, community in COMMUNITIES for phrase in phrases for b in range(1, BUILDINGS + 1)]


def _lifecycle(rng, cat, tier, street, z, reported, stall, cutoff):
    """The six steps of 六步闭环: each time after the previous one; steps after the cutoff have not happened.

    Returns (times, happened) as lists over registered, dispatched, handled, closed.
    """
    n = len(cat)
    register_h = np.array([s.register_median_h for s in STREETS])[street] * np.exp(-0.25 * z)
    handle_h = (HANDLING_MEDIAN_H[cat] * np.where(tier >= 0, TIER_HANDLING[np.maximum(tier, 0)], 1.0)
                * np.array([s.handling_factor for s in STREETS])[street] * np.exp(-0.15 * z))
    registered = reported + _lognormal_s(rng, register_h, 1.5, n)
    dispatched = registered + _lognormal_s(rng, 1.0, 1.2, n)
    handled = dispatched + _lognormal_s(rng, handle_h, 0.9, n)
    closed = handled + _lognormal_s(rng, 6.0, 1.0, n)
    times, happened = [], []
    alive = np.ones(n, bool)
    for step, t in enumerate((registered, dispatched, handled, closed)):
        alive = alive & (t < cutoff) & ~(stall & (step >= 2))
        times.append(t)
        happened.append(alive)
    return times, happened


def _intended_outcome(rng, cat, tier, street, z) -> np.ndarray:
    """What the case comes to (index into OUTCOMES, -1 = none), before knowing whether it has got there."""
    n = len(cat)
    out = np.full(n, -1, np.int16)
    u = rng.random(n)
    d = np.flatnonzero(cat == DISPUTE)
    if d.size:
        t, s = tier[d], street[d]
        resolved_p = np.clip(np.array([x.dispute_resolved_p for x in STREETS])[s] * TIER_RESOLVED_FACTOR[t]
                             + 0.012 * z[d], 0.5, 0.995)
        transferred = u[d] < TIER_TRANSFERRED_P[t]
        resolved = rng.random(d.size) < resolved_p
        out[d] = np.where(transferred, 2, np.where(resolved, 0, 1))
    h = np.flatnonzero(cat == HAZARD)
    if h.size:
        rectified_p = np.array([x.hazard_rectified_p for x in STREETS])[street[h]] + 0.02 * z[h]
        out[h] = np.where(u[h] < rectified_p, 3, 4)
    return out


def _stalls(rng, intended, street) -> np.ndarray:
    """Events stuck before handling (open backlog): unrectified hazards, disputes still in mediation, a few others."""
    p = 0.004 * np.array([s.handling_factor for s in STREETS])[street] ** 3
    p = np.where(intended == 4, 0.45, np.where(intended == 1, 0.30, p))
    return rng.random(len(intended)) < p


def _evaluation(rng, closed, happened_closed, street, z, intended, cutoff):
    """Step six: when and how satisfied; not every closed event is evaluated."""
    n = len(closed)
    evaluated = closed + _lognormal_s(rng, 30.0, 0.9, n)
    chance = np.array([s.evaluated_p for s in STREETS])[street]
    done = happened_closed & (evaluated < cutoff) & (rng.random(n) < chance)
    satisfied_p = np.array([s.satisfied_p for s in STREETS])[street] + 0.003 * z
    satisfied_p = np.where(intended == 1, satisfied_p - 0.15, satisfied_p)   # failed mediation disappoints
    satisfied = rng.random(n) < satisfied_p
    score = np.where(satisfied, np.where(rng.random(n) < 0.82, 5, 4),
                     _draw(rng, np.array([[0.1, 0.3, 0.6]]), np.zeros(n, np.int16)) + 1)
    return evaluated, done, score.astype(np.int8)


def _event_table(rng: np.random.Generator, sk: Skeleton, rows: slice, ctx: EventContext) -> pa.Table:
    """One chunk of events, every attribute drawn for all rows at once."""
    cal, grids = ctx.cal, ctx.grids
    grid, street, day, reported = sk.grid[rows], sk.street[rows], sk.day[rows], sk.reported[rows]
    n = len(grid)
    z = ctx.climate[street, cal.month[day]]
    sub_p, sub_names, sub_first, phrase_at, phrase_n, phrases = _subcategory_tables()

    cat = _draw(rng, _category_probs(cal.cal_month), cal.cal_month[day] - 1)
    sub = sub_first[cat] + _draw(rng, sub_p, cat)
    source = _draw(rng, SOURCE_P, cat)
    tier = np.full(n, -1, np.int16)
    disputes = np.flatnonzero(cat == DISPUTE)
    tier[disputes] = _draw(rng, TIER_P, np.zeros(disputes.size, np.int16))

    intended = _intended_outcome(rng, cat, tier, street, z)
    stall = _stalls(rng, intended, street)
    (registered, dispatched, handled, closed), happened = _lifecycle(
        rng, cat, tier, street, z, reported, stall, cal.cutoff)
    evaluated, was_evaluated, satisfaction = _evaluation(rng, closed, happened[3], street, z, intended, cal.cutoff)
    outcome, on_site = _outcome(rng, cat, tier, intended, happened)

    worker = ctx.staffing.on(grid, day)
    logs = (rng.random(n) < WORKER_LOGS_P[source]) & (worker >= 0)
    department = _draw(rng, DEPARTMENT_P, np.where(cat == DISPUTE, len(CATEGORIES) + tier, cat))
    point = grids.layout.pool[grid, rng.integers(0, POOL_SIZE, n)]
    phrase = phrase_at[sub] + (rng.random(n) * phrase_n[sub]).astype(np.int64)
    building = rng.integers(0, BUILDINGS, n)
    description = (grids.layout.community[grid] * len(phrases) + phrase) * BUILDINGS + building
    reporter = _reporters(rng, source, description)

    return pa.table({
        "event_id": _digits_text(sk.event_id[rows], "E"),
        "grid_id": _dictionary(grid, grids.layout.grid_ids),
        "category": _dictionary(cat, CATEGORIES),
        "subcategory": _dictionary(sub, sub_names),
        "source": _dictionary(source, SOURCES),
        "tier": _dictionary(np.maximum(tier, 0), TIERS, tier >= 0),
        "reported_at": _timestamps(reported),
        "registered_at": _timestamps(registered, happened[0]),
        "dispatched_at": _timestamps(dispatched, happened[1]),
        "handled_at": _timestamps(handled, happened[2]),
        "closed_at": _timestamps(closed, happened[3]),
        "evaluated_at": _timestamps(evaluated, was_evaluated),
        "due_at": _timestamps(reported + DEADLINE_DAYS[cat] * 86400),
        "outcome": _dictionary(np.maximum(outcome, 0), OUTCOMES, outcome >= 0),
        "resolved_on_site": pa.array(on_site == 1, mask=on_site < 0),
        "satisfaction": pa.array(satisfaction, mask=~was_evaluated),
        "worker_id": _dictionary(np.maximum(worker, 0), ctx.staffing.table["worker_id"], logs),
        "department": _dictionary(department, DEPARTMENTS),
        "lon": pa.array(point[:, 0]),
        "lat": pa.array(point[:, 1]),
        "description": reporter["description"],
        "reporter_name": reporter["name"],
        "reporter_phone": reporter["phone"],
        "import_id": pa.array(np.full(n, ctx.import_id, np.int32)),
    })


def _outcome(rng, cat, tier, intended, happened):
    """Recorded outcome and on-site flag: a dispute's outcome is known once closed; a hazard is not rectified
    until it has been handled. Non-disputes have no on-site flag (-1)."""
    registered, dispatched, handled, closed = happened
    outcome = intended.copy()
    is_dispute = cat == DISPUTE
    outcome[is_dispute & ~closed] = -1
    outcome[(cat == HAZARD) & ~handled] = 4
    on_site = np.full(len(cat), -1, np.int8)
    concluded = is_dispute & closed
    on_site[concluded] = 0
    lucky = rng.random(len(cat)) < TIER_ON_SITE_P[np.maximum(tier, 0)]
    on_site[concluded & (outcome == 0) & lucky] = 1
    return outcome, on_site


def _reporters(rng, source, description) -> dict[str, pa.Array]:
    """Residents and hotline callers leave a name and phone; a few write their phone into the description too."""
    n = len(source)
    rows = np.flatnonzero((source == 1) | (source == 2))
    m = rows.size
    named = rng.random(m) < 0.92
    phoned = rng.random(m) < 0.97
    in_text = phoned & (rng.random(m) < 0.04)
    phones = _phones(rng, m)
    names = _name_indices(rng, rng.random(m) < 0.5)

    where = np.full(n, -1, np.int64)
    where[rows] = np.arange(m)
    take = pa.array(where, mask=where < 0)
    name_index = np.zeros(n, np.int64)
    name_index[rows] = names
    name_valid = np.zeros(n, bool)
    name_valid[rows] = named
    phone_valid = np.zeros(n, bool)
    phone_valid[rows] = phoned

    # Descriptions with a phone number are new strings, appended to the shared dictionary of descriptions.
    texts = pa.array(_descriptions(), pa.string())
    with_phone = rows[in_text]
    extra = pc.binary_join_element_wise(pc.take(texts, pa.array(description[with_phone])), "，联系电话",
                                        pc.take(phones, pa.array(np.flatnonzero(in_text))), "")
    description = description.copy()
    description[with_phone] = len(texts) + np.arange(with_phone.size)
    return {
        "description": _dictionary(description, pa.concat_arrays([texts, extra.cast(pa.string())])),
        "name": _dictionary(name_index, _name_dictionary(), name_valid),
        "phone": pc.if_else(pa.array(phone_valid), pc.take(phones, take), pa.nulls(n, pa.string())),
    }


def _insert_events(con, rng: np.random.Generator, n: int, ctx: EventContext, progress: ProgressFn,
                   span: tuple[float, float]) -> int:
    """Generate and insert events chunk by chunk; each chunk draws from its own spawned Generator."""
    sk = _skeleton(rng, n, ctx)
    chunks = range(0, n, EVENT_CHUNK)
    for chunk_rng, lo in zip(rng.spawn(len(chunks)), chunks):
        rows = slice(lo, min(lo + EVENT_CHUNK, n))
        _insert(con, "events", _event_table(chunk_rng, sk, rows, ctx))
        progress(span[0] + (span[1] - span[0]) * rows.stop / n, f"事件 {rows.stop:,} / {n:,}")
    return n


# ===================================================================================================================
# Patrols
# ===================================================================================================================

def _patrols_table(rng: np.random.Generator, grids: Grids, staffing: Staffing, cal: Calendar,
                   climate: np.ndarray, import_id: int) -> pa.Table:
    """Patrols per grid and day (Poisson), mostly on weekdays; a grid without a worker is rarely patrolled."""
    n_days = len(cal.day_s)
    street = grids.street
    weekly = np.array([s.patrols_per_week for s in STREETS])[street] * grids.diligence
    rate = (weekly[:, None] / 7 * WEEKDAY_PATROL_FACTOR[cal.weekday][None, :] * 7 / WEEKDAY_PATROL_FACTOR.sum()
            * np.exp(0.08 * climate[street][:, cal.month]))
    day_grid = np.broadcast_to(np.arange(n_days), rate.shape)
    worker_matrix = staffing.on(np.repeat(np.arange(N_GRIDS)[:, None], n_days, axis=1), day_grid)
    rate = np.where(worker_matrix >= 0, rate, rate * 0.08)
    counts = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    grid, day = cell // n_days, cell % n_days
    n = cell.size

    started = cal.day_s[day] + (8.0 * 3600 + rng.uniform(0, 9.5 * 3600, n)).astype(np.int64)
    order = np.argsort(started, kind="stable")
    grid, day, started = grid[order], day[order], started[order]
    minutes = np.clip(rng.lognormal(np.log(75), 0.45, n), 30, 180)
    visit_p = np.array([s.key_visit_p for s in STREETS])[street[grid]] * grids.diligence[grid] \
        * np.exp(0.1 * climate[street[grid], cal.month[day]])
    worker = worker_matrix[grid, day]
    started, walk_s = _one_at_a_time(started, (minutes * 60).astype(np.int64), worker, cal.day_s[day])
    minutes = walk_s / 60.0
    recent = day >= n_days - TRACK_DAYS
    track = np.full(n, None, dtype=object)
    track[recent] = _tracks(rng, grid[recent], grids.layout.pool)
    return pa.table({
        "patrol_id": _digits_text(np.arange(1, n + 1), "P", 8),
        "worker_id": _dictionary(np.maximum(worker, 0), staffing.table["worker_id"], worker >= 0),
        "grid_id": _dictionary(grid, grids.layout.grid_ids),
        "started_at": _timestamps(started),
        "ended_at": _timestamps(started + (minutes * 60).astype(np.int64)),
        "distance_m": pa.array(np.rint(minutes * rng.uniform(35, 70, n))),
        "households_visited": pa.array(rng.poisson(minutes / 12).astype(np.int32)),
        "key_person_visits": pa.array(rng.binomial(grids.key_persons[grid], np.clip(visit_p, 0, 1)).astype(np.int32)),
        "hazards_found": pa.array(rng.poisson(0.03, n).astype(np.int32)),
        "events_reported": pa.array(rng.poisson(0.22, n).astype(np.int32)),
        "track": pa.array(track.tolist(), pa.string()),
        "import_id": pa.array(np.full(n, import_id, np.int32)),
    })


def _one_at_a_time(started: np.ndarray, seconds: np.ndarray, worker: np.ndarray, day_s: np.ndarray,
                   gap_s: int = 20 * 60) -> tuple[np.ndarray, np.ndarray]:
    """A worker walks one patrol at a time: a worker's patrols of a day are laid end to end with 20-minute gaps from
    the first one's start (moved earlier, not before 07:00, when the last would start after 18:59; durations shrink
    in the rare day that still does not fit). The 数据质量 signal overlapping_patrols must find only planted overlaps.
    Returns (started, seconds)."""
    started, seconds = started.copy(), seconds.copy()
    staffed = np.flatnonzero(worker >= 0)
    order = staffed[np.lexsort((started[staffed], day_s[staffed], worker[staffed]))]
    key = worker[order] * 100_000 + (day_s[order] // 86400)
    bounds = np.r_[0, np.flatnonzero(np.diff(key)) + 1, len(order)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < 2:
            continue
        idx = order[a:b]
        day0 = int(day_s[idx[0]])
        first, latest = day0 + 7 * 3600, day0 + 18 * 3600 + 59 * 60
        dur = seconds[idx]
        span = int(dur[:-1].sum()) + gap_s * (len(idx) - 1)          # from the first start to the last start
        if first + span > latest:                                      # does not fit: shrink the walks
            dur = (dur * (latest - first - gap_s * (len(idx) - 1)) / max(1, int(dur[:-1].sum()) + 1)).astype(np.int64)
            dur = np.maximum(dur, 30 * 60)
            span = int(dur[:-1].sum()) + gap_s * (len(idx) - 1)
        t = max(first, min(int(started[idx[0]]), latest - span))
        for i, d in zip(idx.tolist(), dur.tolist()):
            started[i], seconds[i] = t, d
            t += d + gap_s
    return started, seconds


def _tracks(rng: np.random.Generator, grid: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """WKT LINESTRINGs through 5–10 interior points of the grid, visited in angular order (a loop round it)."""
    m = len(grid)
    if m == 0:
        return np.array([], dtype=object)
    owner = np.repeat(np.arange(m), rng.integers(5, 11, m))
    xy = pool[grid[owner], rng.integers(0, POOL_SIZE, owner.size)]
    size = np.bincount(owner, minlength=m)
    centre = np.column_stack([np.bincount(owner, xy[:, i], m) / size for i in (0, 1)])
    angle = np.arctan2(xy[:, 1] - centre[owner, 1], xy[:, 0] - centre[owner, 0])
    order = np.lexsort((angle, owner))
    lines = shapely.linestrings(xy[order], indices=owner[order])
    return shapely.to_wkt(lines, rounding_precision=-1)


# ===================================================================================================================
# Relief
# ===================================================================================================================

@dataclass(frozen=True)
class Programme:
    """A relief programme. Totals over approved cases reproduce the seed's figures for the whole window."""

    name: str
    approved: int                      # approved (or paid) cases
    rejected: int
    pending: int                       # applied in the last weeks, not decided yet
    new: int                           # approved cases that are new enrolments (新纳入)
    persons: int                       # Σ persons over approved cases
    extra_persons: float               # mean household members besides the applicant
    amount: int | None = None          # Σ yuan over approved cases; None: a monthly allowance per person for a year
    monthly: tuple[int, int] = (0, 0)  # allowance range, yuan per person per month
    unit: int = 10                     # amounts are multiples of this
    minimum: int = 0
    spread: float = 0.5                # log-normal sigma of amounts
    season: tuple[int, ...] = ()       # calendar months applications concentrate in (empty: all year)
    off_season: float = 1.0            # application rate outside the season, relative


PROGRAMMES = (
    Programme("dibao", 6694, 160, 38, new=896, persons=14037, extra_persons=1.1, monthly=(320, 700)),
    Programme("tekun", 268, 6, 3, new=21, persons=268, extra_persons=0.0, monthly=(900, 1100)),
    Programme("temporary_relief", 480, 35, 9, new=0, persons=1445, extra_persons=2.0, amount=2_080_800,
              unit=100, minimum=500, spread=0.6, season=(12, 1, 2), off_season=0.4),   # cold spells
    Programme("winter_relief", 1550, 48, 0, new=0, persons=3789, extra_persons=1.45, amount=2_121_800,
              unit=100, minimum=600, spread=0.35, season=(11, 12, 1), off_season=0.0),
    Programme("medical_relief", 2808, 40, 0, new=0, persons=2808, extra_persons=0.0, amount=2_020_500,
              unit=10, minimum=50, spread=1.0),   # one treated person per case
)
RELIEF_STATUS = ("applied", "approved", "rejected", "paid")


class Cases(NamedTuple):
    household: np.ndarray   # index into the household register
    persons: np.ndarray
    amount: np.ndarray      # yuan; 0 unless approved
    applied: np.ndarray     # day index from the window start
    decision: np.ndarray    # 0 approve, 1 reject, 2 still pending
    newly: np.ndarray


def _hit_total(rng, values: np.ndarray, total: int, low: int) -> np.ndarray:
    """Nudge integer values by ±1 at random rows (never below low) until they sum to total."""
    values = values.copy()
    while (gap := total - int(values.sum())) != 0:
        movable = np.flatnonzero(values > low) if gap < 0 else np.arange(len(values))
        rows = rng.choice(movable, size=min(abs(gap), movable.size), replace=False)
        values[rows] += np.sign(gap)
    return values


def _split_total(rng, n: int, total: int, unit: int, minimum: int, sigma: float) -> np.ndarray:
    """n amounts in multiples of unit, each at least minimum, log-normally spread, summing exactly to total."""
    spare = total // unit - n * (minimum // unit)
    weights = rng.lognormal(0, sigma, n)
    return (rng.multinomial(spare, weights / weights.sum()) + minimum // unit) * unit


def _application_days(rng, n: int, cal: Calendar, spec: Programme) -> np.ndarray:
    """Days early enough that the decision (5–40 days later) falls inside the window, following the season."""
    months = cal.cal_month[:len(cal.day_s) - 41]
    weight = np.where(np.isin(months, spec.season), 1.0, spec.off_season) if spec.season else np.ones(len(months))
    return rng.choice(len(months), size=n, p=weight / weight.sum())


def _programme_cases(rng, spec: Programme, households: np.ndarray, cal: Calendar) -> Cases:
    """Approved cases first, then rejected, then pending ones (applied in the last 25 days)."""
    n_days = len(cal.day_s)
    decision = np.repeat([0, 1, 2], [spec.approved, spec.rejected, spec.pending])
    applied = np.concatenate([_application_days(rng, spec.approved + spec.rejected, cal, spec),
                              rng.integers(n_days - 25, n_days, spec.pending)])
    persons = 1 + rng.poisson(spec.extra_persons, len(decision))
    persons[:spec.approved] = _hit_total(rng, persons[:spec.approved], spec.persons, 1)
    amount = np.zeros(len(decision))
    if spec.amount is None:
        monthly = rng.integers(spec.monthly[0] // 10, spec.monthly[1] // 10 + 1, spec.approved) * 10
        amount[:spec.approved] = persons[:spec.approved] * monthly * 12
    else:
        amount[:spec.approved] = _split_total(rng, spec.approved, spec.amount, spec.unit, spec.minimum, spec.spread)
    return Cases(households, persons, amount, applied, decision, np.arange(len(decision)) < spec.new)


def _relief_households(rng, grids: Grids) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A register of needy households (the grid of each) and the households behind each programme's cases.

    低保 and 特困 households are the programmes' own; temporary and winter relief go partly to 低保 households,
    partly to other low-income ones; medical relief goes to members of supported households.
    """
    spec = {p.name: p for p in PROGRAMMES}
    size = {name: p.approved + p.rejected + p.pending for name, p in spec.items()}
    n_other = 2600
    need = grids.households * np.array([s.relief_need for s in STREETS])[grids.street]
    grid = rng.choice(N_GRIDS, size=size["dibao"] + size["tekun"] + n_other, p=need / need.sum())
    dibao = np.arange(size["dibao"])
    tekun = size["dibao"] + np.arange(size["tekun"])
    other = size["dibao"] + size["tekun"] + np.arange(n_other)
    dibao_approved = dibao[:spec["dibao"].approved]

    def mix(name, share_dibao):
        k = size[name]
        a = int(round(k * share_dibao))
        return rng.permutation(np.concatenate([rng.choice(dibao_approved, a, replace=False),
                                               rng.choice(other, k - a, replace=False)]))

    supported = np.concatenate([dibao_approved, tekun[:spec["tekun"].approved]])
    return grid, {
        "dibao": dibao,
        "tekun": tekun,
        "temporary_relief": mix("temporary_relief", 0.35),
        "winter_relief": mix("winter_relief", 0.6),
        "medical_relief": rng.choice(supported, size["medical_relief"]),   # a household may have several
    }


def _relief_table(rng: np.random.Generator, grids: Grids, cal: Calendar, import_id: int) -> pa.Table:
    household_grid, households = _relief_households(rng, grids)
    by_programme = [_programme_cases(rng, p, households[p.name], cal) for p in PROGRAMMES]
    programme = np.concatenate([np.full(len(c.household), i) for i, c in enumerate(by_programme)])
    c = Cases(*(np.concatenate(parts) for parts in zip(*by_programme)))
    n = len(programme)
    order = np.lexsort((c.household, c.applied))   # case numbers follow application order
    programme, c = programme[order], Cases(*(a[order] for a in c))

    start = cal.day_s[0] // 86400
    decided = c.applied + rng.integers(5, 41, n)
    paid = decided + rng.integers(3, 21, n)
    n_days = len(cal.day_s)
    approved = c.decision == 0
    status = np.select([c.decision == 2, c.decision == 1, paid < n_days], [0, 2, 3], default=1)   # RELIEF_STATUS

    # One applicant per household: the register fixes name, gender, birth date and ID number.
    h = len(household_grid)
    female = rng.random(h) < 0.55
    age_days = (rng.uniform(25, 85, h) * 365.25).astype(np.int64)
    birth = cal.day_s[-1] // 86400 - age_days
    ids = _id_numbers(rng, birth, female)
    names = _name_indices(rng, female)
    household_ids = _digits_text(np.arange(1, h + 1), "H" + DISTRICT_CODE, 6)
    take = pa.array(c.household)
    return pa.table({
        "case_id": _digits_text(np.arange(1, n + 1), "R", 7),
        "household_id": pc.take(household_ids, take),
        "grid_id": _dictionary(household_grid[c.household], grids.layout.grid_ids),
        "programme": _dictionary(programme, [p.name for p in PROGRAMMES]),
        "persons": pa.array(c.persons.astype(np.int32)),
        "amount_yuan": pa.array(np.round(c.amount, 2), mask=~approved).cast(pa.decimal128(14, 2)),
        "applied_at": pa.array((start + c.applied).astype("datetime64[D]")),
        "approved_at": pa.array((start + decided).astype("datetime64[D]"), mask=~approved),
        "paid_at": pa.array((start + paid).astype("datetime64[D]"), mask=~(approved & (paid < n_days))),
        "status": _dictionary(status, RELIEF_STATUS),
        "newly_enrolled": pa.array(c.newly & approved),
        "applicant_name": pc.take(_name_dictionary(), pa.array(names[c.household])),
        "id_number": pc.take(ids, take),
        "import_id": pa.array(np.full(n, import_id, np.int32)),
    })


# ===================================================================================================================
# Hand-entered scores
# ===================================================================================================================

def _manual_scores_table(rng: np.random.Generator, cal: Calendar, climate: np.ndarray, import_id: int) -> pa.Table:
    """其他工作 scores per month for each street and community, following the street's good and bad months."""
    n_months = len(cal.months)
    base = np.array([s.other_work for s in STREETS])
    street = np.clip(base[:, None] + 2.5 * climate + rng.normal(0, 1.5, climate.shape), 60, 95)
    comm_street = np.array([s for s, _ in COMMUNITIES])
    offset = rng.normal(0, 3.0, len(COMMUNITIES))
    community = np.clip(street[comm_street] + offset[:, None] + rng.normal(0, 2.5, (len(COMMUNITIES), n_months)),
                        60, 95)
    units = [s.name for s in STREETS] + [c for _, c in COMMUNITIES]
    scores = np.round(np.vstack([street, community]), 1)
    levels = ["street"] * len(STREETS) + ["community"] * len(COMMUNITIES)
    n = scores.size
    return pa.table({
        "month": pa.array(cal.months * len(units), pa.string()),
        "level": pa.array(np.repeat(levels, n_months).tolist(), pa.string()),
        "unit": pa.array(np.repeat(units, n_months).tolist(), pa.string()),
        "item": pa.array(["item_other_work"] * n, pa.string()),
        "score": pa.array(scores.ravel()),
        "note": pa.nulls(n, pa.string()),
        "import_id": pa.array(np.full(n, import_id, np.int32)),
    })


# ===================================================================================================================
# Planted anomalies (数据质量): a documented set of gamed records the signals of metrics/quality.py must find
# ===================================================================================================================
#
# Records are picked by an md5 of their id and a salt (stable across runs, DuckDB versions and --events), so
# planted() can name them again after the fact. The generator's own records are kept clear of every signal first:
# patrols of one worker never overlap (_one_at_a_time), an event that happens to repeat another's grid, category
# and description within a day gets its wording changed, and every 15th rating of a worker is a 4 rather than a 5
# (both count as satisfied). Then, over the whole window:
#   instant_closure      ≈ 1/410 of closed events: every step within minutes, closed 5 minutes after the report
#   eval_at_closure      ≈ 1/410 of evaluated events (others): evaluated 20 seconds after closure
#   duplicate_event      ≈ 1/512 of events with a description (reported before 21:00): the next event of the same
#                        day is overwritten with a copy reported 2 hours later — both are flagged
#   short_patrol         ≈ 1/680 of patrols: 6 minutes, 350 m
#   overlapping_patrols  ≈ 1/1000 of staffed patrols: a second patrol by the same worker starting 15 minutes after
#                        it (id P9…) — both are flagged
#   implausible_speed    ≈ 1/680 of patrols (others): the distance of 30 km/h over the patrol's duration
#   uniform_satisfaction 3 active workers with ≥ 30 rated events: every rated event of theirs rated 5 (flagged over periods where they have
#                        ≥ 20 rated events, e.g. the whole window)
# and in the last full month M:
#   month_end_bunching   one community (the first by md5): its events closed in M are closed on M's last day
#   bulk_grid_update     one community of another street: all its grids "updated" on M's last day

def _pick(column: str, salt: str, share: str) -> str:
    """Records whose md5(id, salt) falls below `share`; never a planted copy (ids with 9 where a sequence starts)."""
    at = 10 if column == "event_id" else 2
    return f"md5({column} || '{salt}') < '{share}' and substr({column}, {at}, 1) <> '9'"


PLANT_EVENTS_IC = _pick("event_id", "instant_closure", "00a") + " and closed_at is not null"
PLANT_EVENTS_EC = (_pick("event_id", "eval_at_closure", "00a") + " and evaluated_at is not null "
                   "and closed_at is not null and not (" + _pick("event_id", "instant_closure", "00a") + ")")
# duplicate_event: a picked event a and the next event of its day b (whose content becomes a's, 2 hours later)
DUP_NEXT = "left(a.event_id, 9) || lpad(cast(cast(substr(a.event_id, 10) as int) + 1 as varchar), 5, '0')"
DUP_PAIR = ("md5(a.event_id || 'duplicate_event') < '008' and a.description is not null "
            "and hour(a.reported_at) < 21 and greatest(a.reported_at, a.registered_at, a.dispatched_at, a.handled_at, "
            "a.closed_at, a.evaluated_at) < $cut "
            + " ".join(f"and not md5({e}.event_id || '{salt}') < '{share}'" for e, salt, share in
                       (("a", "instant_closure", "00a"), ("a", "eval_at_closure", "00a"),
                        ("b", "instant_closure", "00a"), ("b", "eval_at_closure", "00a"),
                        ("b", "duplicate_event", "008"))))
PLANT_PATROLS_SHORT = _pick("patrol_id", "short_patrol", "006") + " and ended_at is not null"
PLANT_PATROLS_OVERLAP = (_pick("patrol_id", "overlapping_patrols", "0041") + " and worker_id is not null "
                         "and ended_at is not null and not (" + PLANT_PATROLS_SHORT + ")")
PLANT_PATROLS_SPEED = (_pick("patrol_id", "implausible_speed", "006") + " and ended_at is not null "
                       "and not (" + PLANT_PATROLS_SHORT + ") and not (" + PLANT_PATROLS_OVERLAP + ")")


PLANT_WORKERS = ("select worker_id from workers where active and worker_id in (select worker_id from events "
                 "where satisfaction is not null group by 1 having count(*) >= 30) "
                 "order by md5(worker_id || 'uniform_satisfaction') limit 3")


def _copy_id(column: str, prefix_len: int) -> str:
    """A planted copy's id: the original's with the first digit of its sequence replaced by 9."""
    return f"left({column}, {prefix_len}) || '9' || substr({column}, {prefix_len + 2})"


def _plant_anomalies(con, cal: Calendar) -> None:
    month = cal.months[-2]
    m_start = datetime.strptime(month + "-01", "%Y-%m-%d")
    m_last = (m_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    # keep the generator's own records clear: a natural repeat within a day gets its wording changed
    con.execute("""
        update events set description = replace(description, '附近', '旁')
        where event_id in (select b.event_id from events a join events b
            on a.grid_id = b.grid_id and a.category = b.category and a.description = b.description
           and a.event_id < b.event_id and abs(date_diff('second', a.reported_at, b.reported_at)) <= 86400)""")
    # instant closure: the lifecycle squeezed into five minutes
    con.execute(f"""
        update events set registered_at = reported_at + interval 1 minute,
            dispatched_at = case when dispatched_at is null then null else reported_at + interval 2 minute end,
            handled_at = case when handled_at is null then null else reported_at + interval 3 minute end,
            closed_at = reported_at + interval 5 minute
        where {PLANT_EVENTS_IC}""")
    con.execute(f"update events set evaluated_at = closed_at + interval 20 second where {PLANT_EVENTS_EC}")
    # duplicate: the next event of the same day becomes a copy of the picked one, reported 2 hours later (the number
    # of events stays what --events asked for)
    same = ["grid_id", "category", "subcategory", "source", "tier", "outcome", "resolved_on_site", "satisfaction",
            "worker_id", "department", "lon", "lat", "description", "reporter_name", "reporter_phone"]
    later = ["reported_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "evaluated_at", "due_at"]
    sets = ", ".join([f"{c} = a.{c}" for c in same] + [f"{c} = a.{c} + interval 2 hour" for c in later])
    con.execute(f"update events b set {sets} from events a where b.event_id = {DUP_NEXT} and {DUP_PAIR}",
                {"cut": datetime(cal.end.year, cal.end.month, cal.end.day)})
    con.execute(f"update patrols set ended_at = started_at + interval 6 minute, distance_m = 350 "
                f"where {PLANT_PATROLS_SHORT}")
    con.execute(f"""
        insert into patrols select * replace ({_copy_id('patrol_id', 1)} as patrol_id,
            started_at + interval 15 minute as started_at, ended_at + interval 15 minute as ended_at, null as track)
        from patrols where {PLANT_PATROLS_OVERLAP}""")
    con.execute(f"update patrols set distance_m = round(date_diff('second', started_at, ended_at) * 30 / 3.6) "
                f"where {PLANT_PATROLS_SPEED}")
    # clear: every 15th rating of a worker is a 4 rather than a 5 (both count as satisfied, so no indicator moves),
    # so no other worker has 20 ratings in a row of 5 in any period
    con.execute(f"""
        update events set satisfaction = 4 where event_id in (
            select event_id from (select event_id, satisfaction, row_number() over (
                partition by worker_id order by reported_at, event_id) as k
                from events where satisfaction is not null and worker_id is not null
                  and worker_id not in ({PLANT_WORKERS}))
            where k % 15 = 0 and satisfaction = 5)""")
    con.execute(f"update events set satisfaction = 5 where satisfaction is not null and worker_id in ({PLANT_WORKERS})")
    bunch, bulk = _planted_communities(con)
    con.execute("""
        update events set closed_at = $last + to_minutes(cast(16 * 60 + (hash(event_id) % 120) as bigint)),
            evaluated_at = case when evaluated_at is null then null
                                else $last + interval 1 day + to_minutes(cast(9 * 60 + hash(event_id) % 120 as bigint)) end
        where closed_at >= $m_start and closed_at < $last and grid_id in (select grid_id from grids where community = $c)
          and not (""" + PLANT_EVENTS_IC + ") and not (" + PLANT_EVENTS_EC + ")",
                {"last": m_last, "m_start": m_start, "c": bunch})
    con.execute("update grid_versions set updated_at = $last + to_minutes(cast(15 * 60 + (hash(grid_id) % 90) as bigint))"
                " "
                "where community = $c and valid_to is null", {"last": m_last, "c": bulk})


def _planted_communities(con) -> tuple[str, str]:
    """(the month-end bunching community, the bulk-update community of another street)."""
    rows = con.execute("select community, street from (select distinct community, street from grids) "
                       "order by md5(community || 'planted')").fetchall()
    bunch = rows[0]
    bulk = next(r for r in rows if r[1] != bunch[1])
    return bunch[0], bulk[0]


def _dup_cut(con) -> datetime:
    """The planting's cut-off (midnight before the last day of data), read back from the import log."""
    note = con.execute("select sha256 from import_log where kind = 'demo' order by import_id desc limit 1").fetchall()
    end = re.search(r"end=(\d{4}-\d{2}-\d{2})", note[0][0]).group(1) if note else None
    return datetime.strptime(end, "%Y-%m-%d") if end else datetime(2100, 1, 1)


def planted(con) -> dict[str, set]:
    """The ids the demo planted, by signal (events/patrols by id, workers by worker_id, communities by name)."""
    def q(sql):
        return {r[0] for r in con.execute(sql).fetchall()}
    pairs = con.execute(f"select a.event_id, b.event_id from events a join events b on b.event_id = {DUP_NEXT} "
                        f"where {DUP_PAIR}", {"cut": _dup_cut(con)}).fetchall()
    dup = {e for pair in pairs for e in pair}
    over = q(f"select patrol_id from patrols where {PLANT_PATROLS_OVERLAP}")
    bunch, bulk = _planted_communities(con)
    return {
        "instant_closure": q(f"select event_id from events where {PLANT_EVENTS_IC}"),
        "eval_at_closure": q(f"select event_id from events where {PLANT_EVENTS_EC}"),
        "duplicate_event": dup,
        "short_patrol": q(f"select patrol_id from patrols where {PLANT_PATROLS_SHORT}"),
        "overlapping_patrols": over | {f"P9{p[2:]}" for p in over},
        "implausible_speed": q(f"select patrol_id from patrols where {PLANT_PATROLS_SPEED}"),
        "uniform_satisfaction": q(PLANT_WORKERS),
        "month_end_bunching": {bunch},
        "bulk_grid_update": {bulk},
    }


# ===================================================================================================================
# Entry point
# ===================================================================================================================

def _insert(con, table: str, frame: pa.Table) -> int:
    con.register("_demo_frame", frame)
    try:
        con.execute(f"insert into {table} by name select * from _demo_frame")
    finally:
        con.unregister("_demo_frame")
    return frame.num_rows


def _log_import(con, import_id: int, seed: int, n_events: int, cal: Calendar, counts: dict[str, int]) -> None:
    # imported_at is the data's as-of time, not the wall clock, so the whole store is a function of the arguments.
    total = sum(counts.values())
    options = json.dumps({"seed": seed, "events": n_events, "end": cal.end.isoformat()})
    con.execute(
        "insert into import_log (import_id, file_name, sha256, kind, rows_in_file, rows_stored, rows_inserted,"
        " rows_updated, rows_refused, imported_at, imported_by, options)"
        " values (?, 'demo', ?, 'demo', ?, ?, ?, 0, 0, ?, 'demo', ?)",
        [import_id, f"seed={seed};events={n_events};end={cal.end.isoformat()}", total, total, total,
         datetime.combine(cal.end + timedelta(days=1), datetime.min.time()), options])


def generate(con, seed: int = 42, events: int | None = None, end: date | None = None,
             progress: ProgressFn | None = None) -> dict[str, int]:
    """Rebuild the demo store: delete the demo tables' rows and insert fresh data, in one transaction.

    seed    — every value is a function of (seed, events, end)
    events  — number of events; None = the realistic default (~24,000 over the window)
    end     — last day of data (default: yesterday); the window starts on the first day of the month 13 months
              before end's month
    progress(fraction, message) — optional callback
    Returns row counts per table.
    """
    end = end or (date.today() - timedelta(days=1))
    if isinstance(end, datetime):
        end = end.date()
    n_events = default_event_count(end) if events is None else int(events)
    if n_events < 0:
        raise ValueError("events must be ≥ 0")
    report = progress or (lambda fraction, message: None)
    streams = _streams(seed)
    cal = _calendar(end)

    report(0.0, "划分网格")
    grids = _grid_attributes(streams["grids"], _layout(seed))
    climate = _climate(streams["climate"], len(cal.months))
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for table in DEMO_TABLES:
            con.execute(f"delete from {VERSIONS.get(table, table)}")
        import_id = con.sql("select coalesce(max(import_id), 0) + 1 from import_log").fetchall()[0][0]
        staffing = _workers(streams["workers"], grids, cal, import_id)
        grid_table = _grids_table(streams["grids"], grids, cal, import_id)
        _insert_versions(con, "grid_versions", _grid_versions(streams["history"], grid_table, cal))
        _insert_versions(con, "worker_versions", _worker_versions(staffing))
        counts["grids"], counts["workers"] = grid_table.num_rows, staffing.table.num_rows
        counts["areas"] = _insert(con, "areas", _areas_table(grids.layout, import_id))
        report(0.05, "网格、网格员、边界")
        counts["relief"] = _insert(con, "relief", _relief_table(streams["relief"], grids, cal, import_id))
        counts["manual_scores"] = _insert(
            con, "manual_scores", _manual_scores_table(streams["scores"], cal, climate, import_id))
        counts["patrols"] = _insert(
            con, "patrols", _patrols_table(streams["patrols"], grids, staffing, cal, climate, import_id))
        report(0.1, "救助、巡查、其他工作得分")
        ctx = EventContext(grids, staffing, cal, climate, import_id)
        counts["events"] = _insert_events(con, streams["events"], n_events, ctx, report, (0.1, 0.97))
        _plant_anomalies(con, cal)
        counts["events"] = con.sql("select count(*) from events").fetchall()[0][0]
        counts["patrols"] = con.sql("select count(*) from patrols").fetchall()[0][0]
        _log_import(con, import_id, seed, n_events, cal, counts)
        from metrics import month_parts, summaries

        summaries.rebuild(con)          # the per grid × day event counts (written directly, not through ingest)
        month_parts.bump(con)           # every month changed
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    report(0.98, "各月评分数据")
    month_parts.refresh(con)            # the board inputs of every month (metrics/month_parts.py)
    report(1.0, "完成")
    return counts
