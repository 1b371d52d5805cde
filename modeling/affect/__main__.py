from modeling.affect.cli import main

if __name__ == "__main__":
    main()
