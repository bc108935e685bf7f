from tests.helpers import sign_in_as


def test_start_page_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Manage your cancer care" in response.get_data(as_text=True)


def test_patient_home_shows_own_record(client, actors):
    sign_in_as(client, actors.patient_a)
    response = client.get("/my-care")
    assert response.status_code == 200
    assert "Hello Ann" in response.get_data(as_text=True)
