# The two commands of the README: `make demo` runs the whole system, `make test` runs the tests.
.PHONY: demo test bench bootstrap lint image

bootstrap:
	scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/clinicbox demo

test:
	scripts/test.sh

bench: bootstrap
	.venv/bin/python -m bench.run_all

# The appliance root filesystem with the agent in slot A (debootstrap base cached in
# ~/.cache/clinicbox/image; CI runs only the smoke test, tests/image).
image: bootstrap
	image/build.sh --with-agent --smoke
