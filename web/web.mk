# The playground page that `stockade serve --web DIR` serves (web/src),
# bundled from npm packages at build time by web/build.mjs.  Included by
# the top Makefile, which defines BUILD.
#
#   make web          $(WEB_OUT)/index.html, assets/app.js, assets/app.css
#   make web-tests    the browser test (tests/web) against a real service
#                     WEB_ARGS: more pytest arguments (-k run, -k shell)

WEB_OUT ?= $(BUILD)/web
WEB_SRC := $(shell find web/src -type f)

web: $(WEB_OUT)/index.html

# The packages of the lock file, installed again only when it changed
# (npm ci starts from an empty node_modules).
web/node_modules: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# build.mjs writes index.html last: a failed bundle leaves it out of date.
$(WEB_OUT)/index.html: web/build.mjs web/package-lock.json $(WEB_SRC) \
		web/node_modules
	node web/build.mjs $(WEB_OUT)

web-tests: web $(BUILD)/stockade $(BUILD)/stockade-serve
	STOCKADE=$(abspath $(BUILD)/stockade) STOCKADE_WEB=$(abspath $(WEB_OUT)) \
		/usr/bin/python3 -m pytest -q tests/web $(WEB_ARGS)

.PHONY: web web-tests
