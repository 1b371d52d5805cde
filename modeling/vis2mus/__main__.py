from modeling.vis2mus.cli import main

if __name__ == "__main__":
    main()
