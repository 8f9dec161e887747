import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gomask.settings")
application = get_wsgi_application()

# Django, the apps and their modules are loaded and live as long as the worker: moved out of
# the cyclic garbage collector's generations, so that its full collections, which a request
# building thousands of rows (the regional dashboard) triggers, scan that request's objects
# and not these. (Python's documented gc.freeze(); also kinder to pages shared after a fork.)
gc.freeze()
