"""The accessibility statement: reachable from every page, it says what is tested."""
from __future__ import annotations


def test_every_page_links_the_statement_and_it_says_what_is_tested(client):
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/accessibility"' in login
    response = client.get("/accessibility")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "WCAG" in page and "2.1" in page
    assert "axe-core" in page and "320 pixels" in page and "1280" in page


def test_the_statement_reads_in_french_and_spanish(client):
    french = client.get("/accessibility", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Déclaration d’accessibilité" in french or "Déclaration d'accessibilité" in french
    spanish = client.get("/accessibility", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Declaración de accesibilidad" in spanish
