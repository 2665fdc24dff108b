"""The reference library of sample attribution: labeled files by family, the current index and its rebuild."""

from __future__ import annotations

import streamlit as st

from core import CoreError
from ui import attribution_charts as charts
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard, show_error
from ui.jobs import job_panel

engine, actor = get_engine(), current_actor()
manage = actor.can("attribution:library")
st.title("Reference library")
st.caption(
    "Labeled files that submitted samples are compared with. Name each family after the software it comes "
    "from (for example the Debian source package), so files built from the same code share one family."
)
if message := st.session_state.pop("library_outcome", None):
    st.success(message, icon=":material/check_circle:")

with guard():
    library = engine.attribution.library(actor)
    if library is None:
        st.info("No index yet: add labeled samples of at least two families, then rebuild the index.")
    else:
        a, b, c, d = st.columns(4)
        a.metric("Index revision", library.revision)
        b.metric("Families", f"{library.families:,}")
        c.metric("Reference samples", f"{library.samples:,}")
        d.metric("Reference functions", f"{library.functions:,}")
        st.caption(
            f"Built {library.built_at:%Y-%m-%d %H:%M:%S} UTC. Results name the revision they were computed against."
        )
        if library.stale:
            st.warning(
                "The library changed since this index was built: rebuild it so samples are compared with the "
                "current references.",
                icon=":material/warning:",
            )
    references = engine.attribution.list_references(actor)

    if manage:
        adding = not references or st.session_state.get("library_adding", False)
        with st.expander("Add labeled samples", icon=":material/library_add:", expanded=adding):
            family = st.text_input("Family", key="library_family", placeholder="e.g. coreutils")
            uploads = st.file_uploader(
                "Files of this family",
                accept_multiple_files=True,
                key=f"library_upload_{st.session_state.get('library_generation', 0)}",
                max_upload_size=engine.settings.max_upload_mb,
            )
            st.caption(
                "Add the binaries themselves: archives (ZIP, gzip, xz, …) are refused because they are not "
                "unpacked. Files are analysed when the index is rebuilt."
            )
            if st.button(
                "Add to library",
                type="primary",
                key="library_add",
                icon=":material/add:",
                disabled=not uploads or not family.strip(),
            ):
                try:
                    added = engine.attribution.add_references(
                        actor, family=family, files=[(u.name, u.getvalue()) for u in uploads or []]
                    )
                except CoreError as exc:  # shown here: the rest of the page (rebuild, tables) stays
                    show_error(exc)
                    st.caption(f"None of the {len(uploads or [])} file(s) was added: fix or leave out that file.")
                else:
                    st.session_state["library_outcome"] = (
                        f"Added {len(added)} file(s) to family {added[0].family}; rebuild the index to use them."
                    )
                    st.session_state["library_generation"] = st.session_state.get("library_generation", 0) + 1
                    st.session_state["library_adding"] = True  # keep the form open for the next family
                    st.rerun()
        if st.button(
            "Rebuild index",
            key="library_rebuild",
            icon=":material/build:",
            disabled=not references,
            type="primary" if library is None or library.stale else "secondary",
        ):
            st.session_state["library_rebuild_job"] = engine.attribution.rebuild_index(actor).id
        if st.session_state.get("library_rebuild_job"):
            job_panel(engine, actor, st.session_state["library_rebuild_job"], key="library")

    if not references:
        st.stop()
    st.subheader("Families")
    families = charts.families_frame(engine.attribution.families(actor))
    st.dataframe(families, hide_index=True, key="library_families", placeholder="")
    download_csv(families, "families.csv", key="library_families_csv")
    st.subheader("Reference samples")
    listing = charts.references_frame(references)
    st.dataframe(listing, hide_index=True, key="library_references", placeholder="")
    download_csv(listing, "reference-samples.csv", key="library_references_csv")

    if manage:
        by_id = {r.id: r for r in references}
        with st.expander("Remove a reference sample", icon=":material/delete:"):
            chosen = st.selectbox(
                "Reference sample",
                list(by_id),
                key="library_remove_choice",
                format_func=lambda i: f"{by_id[i].family} · {by_id[i].name}",
            )
            if st.button("Remove from library", key="library_remove", disabled=chosen is None):
                engine.attribution.remove_reference(actor, chosen)
                st.session_state["library_outcome"] = (
                    f"Removed {by_id[chosen].name} from {by_id[chosen].family}; "
                    "rebuild the index to leave it out of comparisons."
                )
                st.rerun()
