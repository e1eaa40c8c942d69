"""数据导入: upload files, detect or pick the kind, preview, validate (report in Chinese), store; the history.
The app reads the store read-only; an import writes through the importer on its own connection, and every page
sees the new data at once (the cache key holds the store's version)."""
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from data import ingest, store, storefile
from metrics import labels
from ui import components as ui
from ui import conn
from ui.export import to_csv

MAPPINGS = sorted((Path(ingest.__file__).parent / "mappings").glob("*.toml"))
KIND_OPTIONS = ["auto", "grids", "workers", "events", "relief", "patrols", "manual_scores"]

user = st.session_state.get("_user")
if user is None or not user.role.admin:
    st.error("仅管理员可导入数据。")
    st.stop()
ui.inject_css()
st.title("数据导入")
st.caption("支持 CSV（UTF-8 / GBK，自动识别）、XLSX、Parquet；中文表头或标准列名。默认整批校验：任何一行不合规则全部不入库。"
           "重复导入按编号覆盖，不会重复计数。")

files = st.file_uploader("选择文件（可多选，同一类数据）", type=["csv", "txt", "xlsx", "xls", "parquet"],
                         accept_multiple_files=True, key="upload")
c1, c2, c3 = st.columns(3)
kind = c1.selectbox("数据类型", KIND_OPTIONS, format_func=lambda k: "自动识别" if k == "auto" else labels.KINDS[k],
                    key="imp_kind")
mapping = c2.selectbox("表头映射（其他平台的导出）", [None, *MAPPINGS], key="imp_mapping",
                       format_func=lambda p: "无（按标准列名与中文别名）" if p is None else p.name)
coords = c3.selectbox("坐标系", ["wgs84", "gcj02", "bd09"], key="imp_coords",
                      format_func={"wgs84": "WGS-84（GPS）", "gcj02": "GCJ-02（高德/腾讯）", "bd09": "BD-09（百度）"}.get)
skip = st.checkbox("跳过不合规的行（合规行入库，不合规行保存待复核）", key="imp_skip")
# the same switch as `cli.py ingest --allow-move`, which the refusal message of a moved grid points to
allow_move = st.checkbox("允许网格调整所属街道（区划调整：自更新时间起生效，之前各期仍按原街道统计；仅对网格数据）",
                         key="imp_allow_move")


def saved(tmp: Path) -> list[Path]:
    paths = []
    for up in files:
        p = tmp / Path(up.name).name
        p.write_bytes(up.getvalue())
        paths.append(p)
    return paths


def show_report(results) -> None:
    for r in results:
        (st.success if r.stored else st.error)(r.summary_zh())
        if r.ignored_columns:
            st.caption(f"{r.file}：已忽略的列 {'、'.join(r.ignored_columns)}")
    errors = ingest.errors_frame(results)
    if len(errors):
        st.markdown(f"**问题清单**（{len(errors):,} 处；行号与 Excel 一致，表头为第 1 行）")
        st.dataframe(errors, hide_index=True, height=320)
        st.download_button("下载问题清单 CSV", to_csv(errors), "问题清单.csv",
                           "text/csv", key="dl_report")


if files:
    with tempfile.TemporaryDirectory() as tmpdir:
        paths = saved(Path(tmpdir))
        detected, unreadable = {}, {}
        for p in paths:
            try:
                detected[p.name] = ingest.detect_kind(p, mapping)
            except ingest.ImportRefused as e:           # the CLI's refusal, shown the same way: no traceback
                unreadable[p.name] = str(e)
        for name, reason in unreadable.items():
            st.error(f"{name}：{reason}")
        if unreadable:
            st.stop()
        chosen = kind
        if kind == "auto":
            kinds = set(detected.values())
            if None in kinds or len(kinds) != 1:
                st.warning("无法自动识别数据类型（或各文件类型不一致）："
                           + "；".join(f"{n} → {labels.KINDS.get(k, '未识别')}" for n, k in detected.items())
                           + "。请手动选择数据类型。")
                chosen = None
            else:
                chosen = kinds.pop()
                st.info(f"识别为：{labels.KINDS[chosen]}")
        with st.expander("预览（前 10 行）", expanded=False):
            for p in paths:
                try:
                    if p.suffix.lower() in (".xlsx", ".xls"):
                        prev = pd.read_excel(p, nrows=10, dtype=str)
                    elif p.suffix.lower() == ".parquet":
                        prev = pd.read_parquet(p).head(10)
                    else:
                        prev = pd.read_csv(p, nrows=10, dtype=str, encoding=ingest.detect_encoding(p))
                    st.markdown(f"**{p.name}**")
                    st.dataframe(prev, hide_index=True)
                except Exception as e:                 # a preview must never stop the import page
                    st.warning(f"{p.name}：无法预览（{ingest.read_error_message(e, p)}）")
        b1, b2 = st.columns(2)
        validate = b1.button("仅校验", key="imp_validate", disabled=chosen is None)
        commit = b2.button("校验并导入", key="imp_commit", type="primary", disabled=chosen is None)
        if validate or commit:
            bar = st.progress(0.0, "开始")
            try:
                with conn.writer() as w:
                    results = ingest.ingest_files(w.con, chosen, paths, mapping_path=mapping, coords_default=coords,
                                                  skip_invalid=skip, allow_move=allow_move,
                                                  progress=lambda x, m: bar.progress(min(x, 1.0), m),
                                                  display_names=[p.name for p in paths], dry_run=validate,
                                                  user=user.username)
                    if validate or not any(r.stored for r in results):
                        w.discard()             # nothing to publish: the store file stays as it was
            except storefile.StoreBusy as e:
                st.error(str(e))
                st.stop()
            except ingest.ImportRefused as e:
                st.error(str(e))
                st.stop()
            if not validate:
                from ui import auth
                auth.log("import", {"kind": chosen, "files": [r.file for r in results],
                                    "stored": [r.rows_stored for r in results],
                                    "refused": [r.rows_refused for r in results]},
                         ok=all(r.stored for r in results))
            bar.progress(1.0, "完成")
            if validate and all(not len(r.errors) for r in results):
                st.success("校验通过：" + "；".join(f"{r.file} 共 {r.rows_in_file} 行" for r in results)
                           + "。点击“校验并导入”入库。")
            else:
                show_report(results)

st.subheader("导入记录")
history = store.import_history(conn.cursor())
if history.empty:
    ui.empty("尚无导入记录。")
else:
    history["kind"] = history["kind"].map(lambda k: labels.KINDS.get(k, k))
    st.dataframe(history.rename(columns=labels.IMPORT_HISTORY_COLUMNS), hide_index=True)
