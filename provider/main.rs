//! The `terraform-provider-awsecs` binary: Terraform starts it; see `awsecs::plugin`.

fn main() {
    std::process::exit(awsecs::plugin::main());
}
