import unittest

from {{name_snake}} import greet


class GreetTest(unittest.TestCase):
    def test_greet(self) -> None:
        self.assertEqual(greet("Souk"), "Hello, Souk!")


if __name__ == "__main__":
    unittest.main()
