# The two commands of the README: `make demo` runs the whole system, `make test` runs the tests.
.PHONY: demo test bench bootstrap lint

bootstrap:
	scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/clinicbox demo

test:
	scripts/test.sh

bench: bootstrap
	.venv/bin/python -m bench.run_all
