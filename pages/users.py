"""Tenant administration: users (create, role, activate, reset password) and custom roles."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import PASSWORD_RULE
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard

engine, actor = get_engine(), current_actor()
st.title("Users & roles")
st.caption(f"Tenant **{actor.tenant_name}**")
NEW_USER_KEYS = ("new_username", "new_name", "new_email", "new_role", "new_password")
if message := st.session_state.pop("users_outcome", None):
    st.success(message, icon=":material/check_circle:")

with guard():
    users = engine.users.list(actor)
    roles = engine.users.roles(actor)
    role_names = [r.name for r in roles]
    frame = pd.DataFrame(
        [
            {
                "username": u.username,
                "name": u.display_name,
                "e-mail": u.email,
                "role": u.role,
                "active": u.active,
                "last sign-in (UTC)": u.last_login_at,
                "created (UTC)": u.created_at,
            }
            for u in users
        ]
    )
    st.dataframe(frame, hide_index=True, key="users_table", placeholder="")
    download_csv(frame, "users.csv", key="users_csv")

    add, manage, custom = st.tabs(["Add a user", "Manage a user", "Custom roles"])
    with add, st.form("add_user", clear_on_submit=False):
        username = st.text_input("Username", key="new_username")
        name = st.text_input("Full name", key="new_name")
        email = st.text_input("E-mail", key="new_email")
        role = st.selectbox("Role", role_names, index=role_names.index("analyst"), key="new_role")
        password = st.text_input("Initial password", type="password", key="new_password", help=PASSWORD_RULE)
        if st.form_submit_button("Create user", type="primary"):
            with guard():
                user = engine.users.create(
                    actor,
                    username=username,
                    password=password,
                    email=email.strip(),
                    role=role,
                    display_name=name.strip() or None,
                )
                st.session_state["users_outcome"] = f"User {user.username} created with role {user.role}."
                for key in NEW_USER_KEYS:  # an empty form (no password left behind) and a fresh table
                    st.session_state.pop(key, None)
                st.rerun()

    with manage:
        by_name = {u.username: u for u in users}
        chosen = st.selectbox("User", list(by_name), key="manage_user")
        user = by_name[chosen]
        st.write(f"Role **{user.role}** · {'active' if user.active else 'deactivated'}")
        new_role = st.selectbox(
            "New role",
            role_names,
            index=role_names.index(user.role) if user.role in role_names else 0,
            key="manage_role",
        )
        c1, c2 = st.columns(2)
        if c1.button("Change role", key="manage_set_role"):
            with guard():
                engine.users.set_role(actor, user.id, new_role)
                st.rerun()
        toggle = "Deactivate" if user.active else "Activate"
        if c2.button(toggle, key="manage_toggle"):
            with guard():
                engine.users.set_active(actor, user.id, not user.active)
                st.rerun()
        with st.form("reset_password", clear_on_submit=True):
            new_password = st.text_input(
                "New password", type="password", key="reset_password_value", help=PASSWORD_RULE
            )
            if st.form_submit_button("Reset password"):
                with guard():
                    engine.users.reset_password(actor, user.id, new_password)
                    st.success(f"The password of {user.username} was reset.")

    with custom:
        st.dataframe(
            pd.DataFrame(
                [
                    {"role": r.name, "built-in": r.builtin, "permissions": ", ".join(sorted(r.permissions))}
                    for r in roles
                ]
            ),
            hide_index=True,
            key="roles_table",
            placeholder="",
        )
        with st.form("add_role"):
            role_name = st.text_input("Role name", key="role_name")
            names = engine.users.permissions(actor)  # built-in, then the tenant's custom ones (API-created)
            perms = st.multiselect(
                "Permissions",
                list(names),
                format_func=lambda p: f"{p} — {names[p]}",
                key="role_permissions",
            )
            if st.form_submit_button("Create role"):
                with guard():
                    engine.users.create_role(actor, role_name, perms)
                    st.rerun()
        customs = [r.name for r in roles if not r.builtin]
        if customs:
            doomed = st.selectbox("Delete a custom role", customs, key="role_delete_choice")
            if st.button("Delete role", key="role_delete"):
                with guard():
                    engine.users.delete_role(actor, doomed)
                    st.rerun()
