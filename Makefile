# The two commands a newcomer needs (see README.md):
#   make demo   install the tools, build, and apply examples/cluster against a local moto
#   make test   unit tests and the acceptance tests (real Terraform against moto)

.PHONY: demo test tools build bench

demo:
	bash scripts/demo.sh

test: tools
	cargo test --locked

tools:
	bash scripts/install-tools.sh

build:
	cargo build --bin terraform-provider-awsecs

# Release-binary figures: exec-to-handshake, GetProviderSchema round trip, RSS, binary size.
bench: tools
	cargo bench --locked --bench plugin
