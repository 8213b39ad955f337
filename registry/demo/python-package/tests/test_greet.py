from {{name_snake}} import greet


def test_greet() -> None:
    assert greet("Souk") == "Hello, Souk!"
