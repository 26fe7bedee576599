"""Settlement ids: region + visit day + 16 random hex digits."""
import re
from datetime import date

from claims.ids import setl_id_new


def test_setl_id_is_region_day_and_16_hex_digits():
    # Given a Zibo visit on 2024-03-05
    # When an id is drawn
    setl_id = setl_id_new(admdvs="370300", day=date(2024, 3, 5))
    # Then it reads region, day, random part (30 characters, the column's width)
    assert re.fullmatch(r"37030020240305[0-9a-f]{16}", setl_id)


def test_ids_do_not_repeat():
    # When many ids are drawn for the same region and day
    ids = {setl_id_new(admdvs="411300", day=date(2024, 1, 1)) for _ in range(5000)}
    # Then none repeats
    assert len(ids) == 5000


def test_a_forked_process_draws_its_own_ids():
    # Given a process that has drawn an id (and so holds a block of random digits)
    import os

    setl_id_new(admdvs="370300", day=date(2024, 3, 5))
    read, write = os.pipe()
    # When it forks and parent and child each draw the next id
    child = os.fork()
    if child == 0:
        os.write(write, setl_id_new(admdvs="370300", day=date(2024, 3, 5)).encode())
        os._exit(0)
    os.waitpid(child, 0)
    in_parent = setl_id_new(admdvs="370300", day=date(2024, 3, 5))
    in_child = os.read(read, 64).decode()
    # Then the two differ (the child did not reuse the parent's digits)
    assert re.fullmatch(r"37030020240305[0-9a-f]{16}", in_child)
    assert in_child != in_parent
