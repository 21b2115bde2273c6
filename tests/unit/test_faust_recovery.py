"""The triggers worker replaces one method of faust's (services/triggers/entrypoints/
faust_recovery.py): an upgrade of faust that changes that method must be looked at, since the
copy would silently undo faust's change."""

import hashlib
import inspect

import faust
from faust.tables.recovery import Recovery

from services.triggers.entrypoints import faust_recovery

# sha256 of faust-streaming 0.15.3's Recovery.on_recovery_completed, as replaced
REVIEWED = "6ef567acf072e46da3fccbccc6d662371f634f622c3d510972d5df81f70ae3ac"


def test_the_replaced_faust_method_is_the_one_reviewed():
    source = inspect.getsource(faust_recovery.FAUST_ON_RECOVERY_COMPLETED)
    assert hashlib.sha256(source.encode()).hexdigest() == REVIEWED, (
        f"faust {faust.__version__} changed Recovery.on_recovery_completed: review "
        "services/triggers/entrypoints/faust_recovery.py against it, then update REVIEWED"
    )


def test_installing_the_fix_replaces_faust_s_method():
    faust_recovery.seek_before_resuming()
    assert Recovery.on_recovery_completed is faust_recovery.on_recovery_completed
