"""`python -m bench` (the end of `make bench`): the table of every benchmark's last figures,
read from the JSON files under bench/results/."""

from bench.results import print_table

if __name__ == "__main__":
    print_table()
