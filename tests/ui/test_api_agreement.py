"""The app and the API are two adapters over one workspace: what one stores, the other shows."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest

from api.main import create_app
from core import Actor, Engine
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import ADMIN_PASSWORD


def test_a_dataset_uploaded_through_the_api_shows_on_the_datasets_page_and_vice_versa(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    with TestClient(create_app(engine)) as client:
        headers = bearer(sign_in(client, "admin", ADMIN_PASSWORD))
        files = [("files", ("jan.csv", b"id,amount\n1,9.5\n")), ("files", ("feb.csv", b"id,amount\n2,3.5\n"))]
        response = client.post(
            f"{API}/dataset/upload", params={"dataset_name": "from-api", "usage": "p"}, files=files, headers=headers
        )
        assert response.status_code == 201, response.text

        at = app(admin, "datasets.py")
        listing = next(d.value for d in at.dataframe if "used for" in d.value.columns)
        assert listing[["name", "used for", "rows"]].values.tolist() == [["from-api", "prediction", 2]]
        files_table = next(d.value for d in at.dataframe if "rows in the dataset" in d.value.columns)
        assert files_table["file"].tolist() == ["jan.csv", "feb.csv"]

        at = app(admin, "upload.py")
        at.file_uploader(key="upload_file_0").upload("march.csv", b"id,amount\n3,1.5\n", "text/csv").run()
        at.text_input(key="upload_name").input("from-app").run()
        at.button(key="upload_store").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        listed = client.get(f"{API}/dataset/list", params={"usage": "training"}, headers=headers).json()
        assert [(d["dataset_name"], d["file_count"], d["rows"]) for d in listed["data"]] == [("from-app", 1, 1)]
