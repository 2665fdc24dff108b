"""Templates: the columns a dataset must have. Create (by hand, from a file, from JSON), edit, download, delete."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core import COLUMN_TYPES, ColumnSpec
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard

EDITOR_CONFIG = {
    "name": st.column_config.TextColumn("column name", required=True, max_chars=255),
    "dtype": st.column_config.SelectboxColumn("type", options=COLUMN_TYPES, required=True, default="string"),
    "default": st.column_config.TextColumn("default value", help="Fills missing cells; leave empty for none."),
    "required": st.column_config.CheckboxColumn(
        "required", default=True, help="A missing cell without a default makes its row unusable."
    ),
    "date_format": st.column_config.TextColumn(
        "date format",
        help="Date and datetime columns only: how the file writes them, e.g. %d/%m/%Y for 31/12/2024 "
        "(codes %d %m %Y %b %H %M %S %f). Empty: ISO, or day- / month-first as the data shows.",
    ),
}


def to_frame(columns: list[ColumnSpec] | tuple[ColumnSpec, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": c.name,
                "dtype": c.dtype,
                "default": None if c.default is None else str(c.default),
                "required": c.required,
                "date_format": c.date_format,
            }
            for c in columns
        ],
        columns=list(EDITOR_CONFIG),
    ).astype({"name": "object", "dtype": "object", "default": "object", "required": "bool", "date_format": "object"})


def from_frame(frame: pd.DataFrame) -> list[ColumnSpec]:
    """The editor's rows as column specs; rows left entirely empty are ignored."""

    def cell(value: object) -> object:
        blank = value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
        return None if blank or (isinstance(value, str) and not value.strip()) else value

    specs = []
    for row in frame.to_dict("records"):
        name, dtype, default = cell(row.get("name")), cell(row.get("dtype")), cell(row.get("default"))
        if name is None and default is None:
            continue
        required, date_format = cell(row.get("required")), cell(row.get("date_format"))
        specs.append(
            ColumnSpec(
                name=str(name or ""),
                dtype=str(dtype or "string"),
                default=default,
                required=True if required is None else bool(required),
                date_format=None if date_format is None else str(date_format),
            )
        )
    return specs


def column_editor(frame: pd.DataFrame, key: str, disabled: bool) -> pd.DataFrame:
    return st.data_editor(
        frame,
        column_config=EDITOR_CONFIG,
        num_rows="dynamic",
        hide_index=True,
        key=key,
        disabled=disabled,
        placeholder="",
    )


engine, actor = get_engine(), current_actor()
can_write = actor.can("templates:write")
st.title("Templates")
st.caption(
    "A template lists the columns a dataset must have: name, type, default value, whether it is required, "
    "and for dates how they are written."
)
if message := st.session_state.pop("templates_outcome", None):
    st.success(message, icon=":material/check_circle:")


def done(message: str) -> None:
    st.session_state["templates_outcome"] = message
    st.rerun()


with guard():
    templates = {t.id: t for t in engine.templates.list(actor)}
    listing = pd.DataFrame(
        [
            {
                "name": t.name,
                "columns": len(t.columns),
                "description": t.description,
                "owner": t.owner,
                "updated (UTC)": t.updated_at,
            }
            for t in templates.values()
        ],
        columns=["name", "columns", "description", "owner", "updated (UTC)"],
    )
    st.dataframe(listing, hide_index=True, key="templates_table", placeholder="")
    download_csv(listing, "templates.csv", key="templates_csv")

    tabs = st.tabs(["View & edit", "New template", "Import JSON"] if can_write else ["View"])
    with tabs[0]:
        if not templates:
            st.info("No templates yet." + (" Create one in the next tab." if can_write else ""))
        else:
            if st.session_state.get("tpl_next") in templates:  # just created: show it
                st.session_state["tpl_choice"] = st.session_state.pop("tpl_next")
            chosen = st.selectbox(
                "Template", list(templates), format_func=lambda i: templates[i].name, key="tpl_choice"
            )
            template = templates[chosen]
            name = st.text_input("Name", value=template.name, key=f"tpl_name_{chosen}", disabled=not can_write)
            description = st.text_input(
                "Description", value=template.description, key=f"tpl_desc_{chosen}", disabled=not can_write
            )
            edited = column_editor(to_frame(template.columns), key=f"tpl_columns_{chosen}", disabled=not can_write)
            download(
                "Download as JSON",
                lambda: engine.templates.export_json(actor, chosen),
                f"{template.name}.json",
                "tpl_download",
                "application/json",
            )
            if can_write:
                if st.button("Save changes", type="primary", key="tpl_save", icon=":material/save:"):
                    engine.templates.update(
                        actor, chosen, name=name, columns=from_frame(edited), description=description
                    )
                    done(f"Template '{name.strip()}' saved.")
                with st.expander("Delete this template", icon=":material/delete:"):
                    st.write("A template that datasets use cannot be deleted; the message names them.")
                    if st.button("Delete template", key="tpl_delete"):
                        engine.templates.delete(actor, chosen)
                        done(f"Template '{template.name}' deleted.")

    if can_write:
        with tabs[1]:
            st.write("Type the columns below, or let a file propose them from its header and first rows.")
            sample = st.file_uploader(
                "Make a template from a file (optional)",
                type=["csv", "tsv", "txt", "xlsx", "xlsm", "parquet", "pq"],
                key="tpl_infer_file",
                max_upload_size=engine.settings.max_upload_mb,
            )
            if sample is not None and st.button("Propose columns from this file", key="tpl_infer"):
                proposed = engine.templates.infer_from_file(actor, sample.name, sample.getvalue())
                st.session_state["tpl_seed"] = to_frame(proposed)
                st.session_state.pop("tpl_new_columns", None)  # let the editor start from the proposal
                st.rerun()
            seed = st.session_state.get("tpl_seed", to_frame([ColumnSpec("")]))
            new_columns = column_editor(seed, key="tpl_new_columns", disabled=False)
            new_name = st.text_input("Template name", key="tpl_new_name", max_chars=100)
            new_description = st.text_input("Description", key="tpl_new_description")
            if st.button("Create template", type="primary", key="tpl_create", icon=":material/add:"):
                created = engine.templates.create(actor, new_name, from_frame(new_columns), description=new_description)
                st.session_state.pop("tpl_seed", None)
                st.session_state.pop("tpl_new_columns", None)
                st.session_state["tpl_next"] = created.id
                done(f"Template '{created.name}' created with {len(created.columns)} column(s).")

        with tabs[2]:
            upload = st.file_uploader(
                "Template JSON (as downloaded from this page)", type=["json"], key="tpl_import_file"
            )
            rename = st.text_input("Name (leave empty to keep the one in the file)", key="tpl_import_name")
            if upload is not None and st.button("Import", key="tpl_import", icon=":material/upload:"):
                imported = engine.templates.import_json(actor, upload.getvalue(), name=rename.strip() or None)
                done(f"Template '{imported.name}' imported.")
