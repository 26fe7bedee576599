"""Settlement ids: region + visit day + 16 random hex digits, never repeated by a forked process."""
import os
import re
from datetime import date

import pytest

from claims import services


def test_setl_id_is_region_day_and_16_hex_digits():
    # Given a Zibo visit on 2024-03-05
    # When an id is drawn
    setl_id = services.setl_id_new(admdvs="370300", day=date(2024, 3, 5))
    # Then it reads region, day, random part (30 characters, the column's width)
    assert re.fullmatch(r"37030020240305[0-9a-f]{16}", setl_id)


def test_ids_drawn_across_pool_refills_are_distinct():
    # Given an empty pool of random parts
    services._RANDOM_PARTS.clear()
    # When more ids are drawn than one refill holds
    ids = {services.setl_id_new(admdvs="411300", day=date(2024, 1, 1)) for _ in range(3 * 512 + 7)}
    # Then none repeats
    assert len(ids) == 3 * 512 + 7


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_process_does_not_repeat_the_parents_parts():
    # Given a parent whose pool still holds parts
    services._random_hex16()
    assert services._RANDOM_PARTS
    read, write = os.pipe()
    # When a child is forked and both draw their next parts
    pid = os.fork()
    if pid == 0:  # the child: report its next 50 parts and leave at once
        os.write(write, ",".join(services._random_hex16() for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split(","))
    parent = {services._random_hex16() for _ in range(50)}
    # Then the child drew its own (the pool it inherited was emptied at the fork)
    assert len(child) == 50
    assert not child & parent
