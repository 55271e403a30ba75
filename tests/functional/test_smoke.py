def test_home_page_renders(api):
    response = api.app.get("/")
    assert response.status_int == 200


def test_admin_logs_in(logged_in):
    me = logged_in.get("me", as_user="admin").json
    assert me["role"] == "admin"
