"""GOV.UK Frontend and MOJ Frontend files, served from the npm packages installed at set-up."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from werkzeug.wrappers import Response

from ..config import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"
GOVUK = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
MOJ = NODE_MODULES / "@ministryofjustice" / "frontend" / "moj"
BPMN_JS = NODE_MODULES / "bpmn-js" / "dist"
CODEMIRROR = NODE_MODULES / "codemirror"
# name served at /vendor/<name> -> file in node_modules
VENDOR_FILES = {
    "govuk-frontend.min.css": GOVUK / "govuk-frontend.min.css",
    "govuk-frontend.min.js": GOVUK / "govuk-frontend.min.js",
    "moj-frontend.min.css": MOJ / "moj-frontend.min.css",
    "moj-frontend.min.js": MOJ / "moj-frontend.min.js",
    "bpmn-modeler.min.js": BPMN_JS / "bpmn-modeler.production.min.js",
    "bpmn-navigated-viewer.min.js": BPMN_JS / "bpmn-navigated-viewer.production.min.js",
    "bpmn-js.css": BPMN_JS / "assets" / "bpmn-js.css",
    "diagram-js.css": BPMN_JS / "assets" / "diagram-js.css",
    "bpmn-embedded.css": BPMN_JS / "assets" / "bpmn-font" / "css" / "bpmn-embedded.css",
    # the form editor's JSON editor
    "codemirror.js": CODEMIRROR / "lib" / "codemirror.js",
    "codemirror.css": CODEMIRROR / "lib" / "codemirror.css",
    "codemirror-javascript.js": CODEMIRROR / "mode" / "javascript" / "javascript.js",
    "codemirror-matchbrackets.js": CODEMIRROR / "addon" / "edit" / "matchbrackets.js",
    "codemirror-closebrackets.js": CODEMIRROR / "addon" / "edit" / "closebrackets.js",
}
ASSET_FOLDERS = (GOVUK / "assets", MOJ / "assets")
CACHE_SECONDS = 3600

assets = Blueprint("assets", __name__)


@assets.get("/assets/<path:filename>")
def asset(filename: str) -> Response:
    for folder in ASSET_FOLDERS:
        if (folder / filename).is_file():
            return send_from_directory(folder, filename, max_age=CACHE_SECONDS)
    return abort(404)


@assets.get("/vendor/<name>")
def vendor(name: str) -> Response:
    path = VENDOR_FILES.get(name)
    if path is None or not path.is_file():
        abort(404)
    return send_from_directory(Path(path).parent, Path(path).name, max_age=CACHE_SECONDS)
