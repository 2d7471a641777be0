"""Roles: the executives of the RACI matrix."""

from fastapi.testclient import TestClient

from tests.problems import assert_problem, error_locs


def test_new_database_has_the_four_executive_roles(client: TestClient) -> None:
    response = client.get("/roles")
    assert response.status_code == 200
    body = response.json()
    assert [role["code"] for role in body["items"]] == ["CDO", "CEO", "CIO", "CMO"]
    assert body["next_cursor"] is None
    assert {role["name"] for role in body["items"]} >= {
        "Chief Marketing Officer",
        "Chief Information Officer",
    }


def test_post_creates_with_location_etag_and_upper_cased_code(client: TestClient) -> None:
    response = client.post("/roles", json={"code": "cfo", "name": "Chief Financial Officer"})
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/roles/CFO"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["code"] == "CFO"
    assert body["version"] == 1
    assert body["created_at"].endswith("Z")
    assert client.get("/roles/cfo").json()["name"] == "Chief Financial Officer"


def test_post_of_a_taken_code_is_409_and_changes_nothing(client: TestClient) -> None:
    response = client.post("/roles", json={"code": "CMO", "name": "Someone else"})
    assert_problem(response, 409, detail_contains="already exists")
    assert client.get("/roles/CMO").json()["name"] == "Chief Marketing Officer"


def test_get_unknown_role_is_404(client: TestClient) -> None:
    assert_problem(client.get("/roles/CXO"), 404, detail_contains="CXO")


def test_get_sends_the_version_as_etag(client: TestClient) -> None:
    response = client.get("/roles/CMO")
    assert response.headers["etag"] == '"1"'


def test_put_creates_then_replaces(client: TestClient) -> None:
    created = client.put("/roles/CSO", json={"name": "Chief Strategy Officer"})
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/roles/CSO"
    replaced = client.put("/roles/CSO", json={"name": "Chief Sales Officer"})
    assert replaced.status_code == 200
    assert replaced.json()["version"] == 2
    assert replaced.headers["etag"] == '"2"'


def test_put_of_the_same_content_raises_no_version(client: TestClient) -> None:
    client.put("/roles/CSO", json={"name": "Chief Strategy Officer"})
    again = client.put("/roles/CSO", json={"name": "Chief Strategy Officer"})
    assert again.status_code == 200
    assert again.json()["version"] == 1


def test_put_back_what_was_read_is_accepted(client: TestClient) -> None:
    role = client.get("/roles/CMO").json()
    role["description"] = "Brand and customer voice"
    response = client.put("/roles/CMO", json=role)
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_put_with_another_code_in_the_body_is_422(client: TestClient) -> None:
    response = client.put("/roles/CMO", json={"code": "CIO", "name": "x"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "code"]]
    assert client.get("/roles/CIO").json()["name"] == "Chief Information Officer"


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient) -> None:
    client.patch("/roles/CMO", json={"description": "v2"})
    response = client.put("/roles/CMO", json={"name": "Changed"}, headers={"If-Match": '"1"'})
    assert_problem(response, 412, detail_contains="version 2")
    assert client.get("/roles/CMO").json()["name"] == "Chief Marketing Officer"
    assert_problem(client.delete("/roles/CMO", headers={"If-Match": '"1"'}), 412)
    assert_problem(client.patch("/roles/CMO", json={"name": "x"}, headers={"If-Match": '"1"'}), 412)


def test_current_if_match_is_honoured(client: TestClient) -> None:
    response = client.patch("/roles/CMO", json={"description": "x"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'


def test_patch_is_a_merge_patch(client: TestClient) -> None:
    client.patch("/roles/CMO", json={"description": "Brand"})
    response = client.patch(
        "/roles/CMO",
        json={"description": None},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["description"] is None
    assert body["name"] == "Chief Marketing Officer"
    assert body["version"] == 3


def test_patch_cannot_clear_a_required_field(client: TestClient) -> None:
    response = client.patch("/roles/CMO", json={"name": None})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "name"]]


def test_bad_role_code_is_422(client: TestClient) -> None:
    for code in ["C", "1CMO", "CMO-X", "A" * 17]:
        response = client.post("/roles", json={"code": code, "name": "x"})
        assert_problem(response, 422)
        assert error_locs(response) == [["body", "code"]]


def test_unknown_field_is_422(client: TestClient) -> None:
    response = client.post("/roles", json={"code": "CFO", "name": "x", "salary": 1})
    assert_problem(response, 422, detail_contains="salary")
    assert_problem(client.get("/roles/CFO"), 404)


def test_overlong_name_is_422(client: TestClient) -> None:
    assert_problem(client.post("/roles", json={"code": "CFO", "name": "x" * 201}), 422)


def test_delete_removes_the_role(client: TestClient) -> None:
    client.post("/roles", json={"code": "CFO", "name": "Chief Financial Officer"})
    assert client.delete("/roles/CFO").status_code == 204
    assert_problem(client.get("/roles/CFO"), 404)
    assert_problem(client.delete("/roles/CFO"), 404)


def test_pagination_walks_every_role_once(client: TestClient) -> None:
    for index in range(7):
        client.post("/roles", json={"code": f"R{index}X", "name": f"Role {index}"})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/roles", params=params).json()
        seen += [role["code"] for role in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 11


def test_bad_limit_and_forged_cursor_are_422(client: TestClient) -> None:
    for limit in [0, -1, 501, "many"]:
        assert_problem(client.get("/roles", params={"limit": limit}), 422)
    assert_problem(
        client.get("/roles", params={"cursor": "not-a-cursor"}), 422, detail_contains="cursor"
    )


def test_default_roles_have_their_functions(client: TestClient) -> None:
    functions = {role["code"]: role["function"] for role in client.get("/roles").json()["items"]}
    assert functions == {
        "CMO": "marketing",
        "CIO": "technology",
        "CDO": "digital",
        "CEO": "executive",
    }


def test_function_is_written_by_post_put_and_patch(client: TestClient) -> None:
    created = client.post("/roles", json={"code": "CTO", "name": "CTO", "function": "technology"})
    assert created.status_code == 201
    assert created.json()["function"] == "technology"
    assert client.post("/roles", json={"code": "COO", "name": "COO"}).json()["function"] == "other"
    patched = client.patch("/roles/CTO", json={"description": "Runs the platforms"})
    assert patched.json()["function"] == "technology"  # a merge patch keeps what it omits
    assert client.patch("/roles/CTO", json={"function": "data"}).json()["function"] == "data"
    replaced = client.put("/roles/CTO", json={"name": "CTO", "function": "digital"})
    assert replaced.json()["function"] == "digital"
    assert client.get("/roles/CTO").json()["function"] == "digital"


def test_an_unknown_function_is_422_and_changes_nothing(client: TestClient) -> None:
    for send in [
        lambda: client.post("/roles", json={"code": "CFO", "name": "x", "function": "finance"}),
        lambda: client.put("/roles/CMO", json={"name": "x", "function": "Marketing"}),
        lambda: client.patch("/roles/CMO", json={"function": 3}),
    ]:
        response = send()
        assert_problem(response, 422)
        assert error_locs(response) == [["body", "function"]]
    assert client.get("/roles/CFO").status_code == 404
    cmo = client.get("/roles/CMO").json()
    assert (cmo["name"], cmo["function"], cmo["version"]) == (
        "Chief Marketing Officer",
        "marketing",
        1,
    )


def test_patching_function_to_null_gives_back_the_default(client: TestClient) -> None:
    """A merge patch's null removes the member, and a role without one is `other`."""
    assert client.patch("/roles/CMO", json={"function": None}).json()["function"] == "other"
