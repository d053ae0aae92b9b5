def main() -> None:
    print("foerdermatch")
