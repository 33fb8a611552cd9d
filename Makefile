# GhostWatch: the README's two commands live here (`make run`, `make test`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv run demo test lint eval bench screenshots dist deb smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## make run: set up and start GhostWatch. With no PBX log folder configured it runs the demo office and offers
## to find your PBX's logs; `make run LOGS=/var/log/asterisk` watches a folder for this session.
run: $(STAMP)
	$(BIN)/ghostwatch $(if $(LOGS),--logs $(LOGS),)

## make demo: the demo office, always
demo: $(STAMP)
	$(BIN)/ghostwatch demo

## make test: set up and run the whole test suite (no display needed)
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench

## make eval: the field evaluation set (tests/data/field) per dialect: attackers found / missed, benign addresses
## accused, line verdicts right / wrong (excerpts of ../shared/corpus are read there; docs/detection.md has the table)
eval: $(STAMP)
	$(BIN)/python -m tests.field.evaluate

## make bench: speed and memory (results go to docs/benchmarks.md by hand, with the command that made them)
bench: $(STAMP)
	$(BIN)/python bench/scan_throughput.py
	$(BIN)/python bench/join_cost.py
	$(BIN)/python bench/import_vs_scan.py
	$(BIN)/python bench/live_monitor.py
	$(BIN)/python bench/store_queries.py
	$(BIN)/python bench/gui_responsiveness.py

## make screenshots: every view at three sizes (build/screenshots/) and the README's pictures, from the demo in a real X server (needs xvfb, dbus, dunst, imagemagick)
screenshots: $(STAMP)
	BIN=$(BIN) sh docs/screenshots.sh

## make dist: the one-folder bundle (PyInstaller) in dist/ghostwatch, a .tar.gz of it, and its size
dist: $(STAMP)
	$(BIN)/pip install --quiet 'pyinstaller==6.22.3'
	rm -rf dist/ghostwatch build/pyinstaller
	$(BIN)/pyinstaller installer/ghostwatch.spec --distpath dist --workpath build/pyinstaller --noconfirm --log-level WARN
	-strip --strip-debug dist/ghostwatch/_internal/libpython3*.so* 2>/dev/null
	tar -C dist -czf dist/ghostwatch-linux-$$(uname -m).tar.gz ghostwatch
	@echo "bundle: $$(du -sh dist/ghostwatch | cut -f1) unpacked, $$(du -h dist/ghostwatch-linux-*.tar.gz | cut -f1) as .tar.gz"

## make deb: dist/ghostwatch_VERSION_ARCH.deb from the bundle (/opt/ghostwatch, /usr/bin/ghostwatch, menu entry)
deb: dist
	PYTHON=$(BIN)/python sh installer/linux/build-deb.sh

## make smoke: run the bundle and the .deb from outside the repository (installs and removes the .deb: root)
smoke: deb
	sh installer/smoke-test.sh

clean:
	rm -rf build dist bench/data bench/out .pytest_cache .ruff_cache
