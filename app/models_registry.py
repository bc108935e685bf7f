"""Imports every module that defines tables, so metadata is complete wherever it is used."""
from . import idempotency, models  # noqa: F401
from .auth import throttle as auth_throttle  # noqa: F401
from .careplan import models as careplan_models  # noqa: F401
from .directory import models as directory_models  # noqa: F401
from .followup import models as followup_models  # noqa: F401
from .hna import models as hna_models  # noqa: F401
from .messages import models as messages_models  # noqa: F401
from .push import models as push_models  # noqa: F401
from .reentry import models as reentry_models  # noqa: F401
from .reminders import models as reminders_models  # noqa: F401
from .results import models as results_models  # noqa: F401
from .symptoms import models as symptoms_models  # noqa: F401
from .triage import models as triage_models  # noqa: F401
from . import team_moves  # noqa: F401  (a patient's live records follow them to a new team)
