# The two commands a newcomer needs (see README.md):
#   make demo   install the tools, build, and apply examples/wordpress against a local moto
#   make test   unit tests, the acceptance tests (real Terraform against moto), then the demo (both WordPress examples)

.PHONY: demo test tools build bench dist

demo:
	bash scripts/demo.sh

test: tools
	# The stand-ins' own self-tests (plain Python against moto): each can fail without its behaviour.
	.tools/venv/bin/python acceptance-tests/standins/selftest_scheduler.py
	.tools/venv/bin/python acceptance-tests/standins/selftest_faults.py
	.tools/venv/bin/python acceptance-tests/standins/selftest_idempotency.py
	.tools/venv/bin/python acceptance-tests/standins/selftest_capacity.py
	.tools/venv/bin/python acceptance-tests/standins/selftest_health.py
	cargo test --locked
	# The compatibility matrix's second leg: the acceptance suite again on the newest Terraform here.
	bash scripts/compat.sh
	# The README's first command is a test too: the whole walkthrough applied, planned clean, destroyed.
	bash scripts/demo.sh
	# And the production stack (EFS, load balancer, logs, health check, circuit breaker), the same way.
	DEMO_EXAMPLE=examples/wordpress-production bash scripts/demo.sh

tools:
	bash scripts/install-tools.sh

build:
	cargo build --locked --bin terraform-provider-awsecs

# Release-binary figures: exec-to-handshake, GetProviderSchema round trip, RSS, binary size.
bench: tools
	cargo bench --locked --bench plugin

# A release package in dist/: the zip, SHA256SUMS, the registry manifest, and a mirror layout that
# -plugin-dir, filesystem_mirror and network_mirror read (see docs/guides/installation.md).
dist:
	cargo build --release --locked --bin terraform-provider-awsecs
	python3 scripts/dist.py --binary target/release/terraform-provider-awsecs --out dist
