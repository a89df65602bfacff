"""The web layer's extensions, created unbound and ``init_app``'d in the factory.

The database handle ``db`` lives in the core (:mod:`delphi.core.database`).
"""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
