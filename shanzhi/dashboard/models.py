from shanzhi.dashboard.evaluation_models import *  # noqa: F401,F403
from shanzhi.dashboard.evaluation_models import __all__  # noqa: F401
