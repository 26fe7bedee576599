"""Read side of imports used by other apps' pages."""
from __future__ import annotations

from .models import ImportedMembers


def member_import_origin(member_id: int) -> ImportedMembers | None:
    """The import that created member ``member_id`` (its job, file, user, time), or None.

    One index probe: the run with the greatest first id not above ``member_id`` is the only one that
    can hold it (runs never overlap); it does if it reaches that far. A member registered by hand, or
    by an import from before the runs were recorded (its history has a MemberChange "import" row),
    has none."""
    run = (ImportedMembers.objects.filter(first_id__lte=member_id).select_related("job", "loaded_by")
           .order_by("-first_id").first())
    return run if run is not None and run.last_id >= member_id else None
